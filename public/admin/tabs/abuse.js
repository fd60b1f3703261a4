// The Abuse tab: prefixes blocked as SMS pumping (with the unblock button), keys at a rate limit, and who
// sends the most.
import { $, $$, api, el, fmtInt, fmtTime, fmtWait, guarded, I18N, state, t } from '../core.js'
import { pressSegment } from '../widgets.js'

let hours = 24

function fillTable(selector, rows) {
  const table = $(selector)
  table.querySelector('tbody').replaceChildren(...rows)
  const empty = table.closest('.card').querySelector('.empty')
  if (empty) empty.hidden = rows.length > 0
}

/** The limit's name in the page's language; a limit added later shows its setting name until translated. */
const limitName = (name) => (I18N[state.lang][`limit_${name}`] ? t(`limit_${name}`) : name)

const unblockButton = (prefix) =>
  el(
    'button',
    {
      class: 'btn btn-danger',
      type: 'button',
      'data-prefix': prefix,
      onclick: () =>
        confirm(t('unblockConfirm', { key: prefix })) &&
        guarded(async () => {
          await api(`/blocks/${encodeURIComponent(prefix)}`, { method: 'DELETE' })
          await load()
        }),
    },
    t('unblock'),
  )

export async function load() {
  pressSegment('#abuse-range', 'hours', hours)
  const a = await api(`/abuse?hours=${hours}`)
  fillTable(
    '#blocks-table',
    a.blocks.map((b) =>
      el(
        'tr',
        {},
        el(
          'td',
          {},
          el('span', { class: 'mono' }, `${b.prefix}•••`),
          el('span', { class: 'sub' }, t('subject_prefix')),
        ),
        el('td', {}, t(`reason_${b.reason}`), el('span', { class: 'sub' }, `${b.detail} · ${b.created_by}`)),
        el('td', {}, b.expires_at ? fmtTime(b.expires_at) : t('untilRemoved')),
        el('td', { class: 'num' }, unblockButton(b.prefix)),
      ),
    ),
  )
  fillTable(
    '#limited-table',
    a.limited.map((l) =>
      el(
        'tr',
        {},
        el(
          'td',
          {},
          el('span', { class: 'mono' }, l.key),
          el('span', { class: 'sub' }, t(`subject_${l.subject}`)),
        ),
        el('td', {}, limitName(l.limit)),
        el('td', { class: 'num' }, `${fmtInt(l.count)} / ${fmtInt(l.max)}`),
        el('td', { class: 'num' }, fmtWait(l.retry_after)),
      ),
    ),
  )
  fillTable(
    '#ips-table',
    a.top_ips.map((r) =>
      el(
        'tr',
        {},
        el('td', { class: 'mono' }, r.ip),
        el('td', { class: 'num' }, fmtInt(r.codes)),
        el('td', { class: 'num' }, fmtInt(r.numbers)),
      ),
    ),
  )
  fillTable(
    '#prefixes-table',
    a.top_prefixes.map((r) =>
      el(
        'tr',
        {},
        el('td', { class: 'mono' }, `${r.prefix}•••`),
        el('td', { class: 'num' }, fmtInt(r.messages)),
        el('td', { class: 'num' }, fmtInt(r.numbers)),
      ),
    ),
  )
}

export function bind() {
  for (const b of $$('#abuse-range button'))
    b.addEventListener('click', () => {
      hours = Number(b.dataset.hours)
      guarded(load)
    })
}
