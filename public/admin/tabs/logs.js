// The Logs tab: the SMS log, one row per message with its attempts and receipts, filtered and paged by the
// cursors the API returns.
import { $, api, el, fmtTime, guarded, locale, state, t } from '../core.js'

const PAGE_SIZE = 25
const logs = { cursors: [null], page: 0, filter: {}, next: null, open: new Set() }

/** The status and provider filters offer what /info lists. */
export function fillFilterChoices() {
  const status = $('#f-status')
  status.replaceChildren(el('option', { value: '', 'data-i18n': 'any' }, t('any')))
  for (const s of state.info.statuses) status.append(el('option', { value: s }, t(`st_${s}`)))
  const provider = $('#f-provider')
  provider.replaceChildren(el('option', { value: '', 'data-i18n': 'any' }, t('any')))
  for (const p of state.info.providers) provider.append(el('option', { value: p }, p))
}

const badge = (status) => el('span', { class: `badge badge-${status}` }, t(`st_${status}`))

function attemptsTable(message) {
  return el(
    'table',
    { class: 'table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, t('attempt')),
        el('th', {}, t('provider')),
        el('th', {}, t('status')),
        el('th', {}, t('providerId')),
        el('th', {}, t('error')),
        el('th', { class: 'num' }, t('cost')),
        el('th', {}, t('time')),
        el('th', {}, t('updated')),
      ),
    ),
    el(
      'tbody',
      {},
      message.attempts.map((a) =>
        el(
          'tr',
          {},
          el('td', { class: 'num' }, a.attempt),
          el('td', {}, a.provider),
          el('td', {}, badge(a.status)),
          el('td', { class: 'mono' }, a.provider_message_id ?? '—'),
          el(
            'td',
            {},
            a.error_code ? el('span', { class: 'error' }, `${a.error_code}: ${a.error_message ?? ''}`) : '—',
          ),
          el('td', { class: 'num' }, costCell(a)),
          el('td', {}, fmtTime(a.created_at)),
          el('td', {}, fmtTime(a.updated_at)),
        ),
      ),
    ),
  )
}

function costCell(a) {
  if (a.cost === null || a.cost === undefined) return '—'
  const amount = `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 4 }).format(a.cost)} ${a.currency ?? ''}`
  const notes = [
    a.segments ? t('segmentsN', { n: a.segments }) : null,
    a.price_source === 'estimate' ? t('estimate') : null,
  ].filter(Boolean)
  return [amount, notes.length ? el('span', { class: 'sub' }, notes.join(' · ')) : null]
}

function receiptsBlock(message) {
  const receipts = message.attempts.flatMap((a) =>
    (a.receipts ?? []).map((r) => ({ ...r, attempt: a.attempt })),
  )
  if (!message.attempts.some((a) => Array.isArray(a.receipts))) return null
  return el(
    'div',
    { class: 'receipts' },
    el('h3', {}, t('receipts')),
    receipts.length === 0
      ? el('p', { class: 'muted small' }, t('noReceipts'))
      : el(
          'table',
          { class: 'table' },
          el(
            'tbody',
            {},
            receipts.map((r) =>
              el(
                'tr',
                {},
                el('td', { class: 'num' }, `#${r.attempt}`),
                el('td', {}, r.provider),
                el('td', {}, badge(r.status)),
                el('td', { class: 'mono' }, r.provider_status ?? ''),
                el('td', {}, fmtTime(r.received_at)),
              ),
            ),
          ),
        ),
  )
}

function render(data) {
  const body = $('#logs-table tbody')
  body.replaceChildren()
  for (const m of data.messages) {
    const open = logs.open.has(m.request_id)
    const details = el(
      'tr',
      { class: 'details', hidden: !open },
      el('td', { colspan: 6 }, el('h3', {}, t('attempts')), attemptsTable(m), receiptsBlock(m)),
    )
    const row = el(
      'tr',
      {
        class: 'message',
        tabindex: 0,
        'aria-expanded': String(open),
        'data-request-id': m.request_id,
        onclick: () => toggle(),
        onkeydown: (e) => {
          if (e.key !== 'Enter' && e.key !== ' ') return
          e.preventDefault()
          toggle()
        },
      },
      el('td', {}, fmtTime(m.created_at)),
      el('td', { class: 'mono' }, m.phone),
      el('td', {}, m.country, m.operator ? el('span', { class: 'sub' }, m.operator) : null),
      el('td', {}, m.provider),
      el('td', {}, badge(m.status)),
      el('td', { class: 'num' }, m.attempts.length),
    )
    function toggle() {
      const nowOpen = details.hidden
      details.hidden = !nowOpen
      row.setAttribute('aria-expanded', String(nowOpen))
      if (nowOpen) logs.open.add(m.request_id)
      else logs.open.delete(m.request_id)
    }
    body.append(row, details)
  }
  $('#logs-empty').hidden = data.messages.length > 0
  $('#logs-newer').disabled = logs.page === 0
  $('#logs-older').disabled = !data.next_cursor
  $('#logs-page').textContent = t('page', { n: logs.page + 1 })
}

export async function load() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) })
  for (const [k, v] of Object.entries(logs.filter)) if (v) params.set(k, v)
  const cursor = logs.cursors[logs.page]
  if (cursor) params.set('cursor', cursor)
  const data = await api(`/logs?${params}`)
  logs.next = data.next_cursor
  render(data)
}

export function bind() {
  $('#logs-filter').addEventListener('submit', (event) => {
    event.preventDefault()
    const form = new FormData(event.target)
    logs.filter = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v).trim()]))
    logs.cursors = [null]
    logs.page = 0
    guarded(load)
  })
  $('#logs-reset').addEventListener('click', () => {
    $('#logs-filter').reset()
    logs.filter = {}
    logs.cursors = [null]
    logs.page = 0
    guarded(load)
  })
  $('#logs-older').addEventListener('click', () => {
    if (!logs.next) return
    logs.cursors[logs.page + 1] = logs.next
    logs.page++
    guarded(load)
  })
  $('#logs-newer').addEventListener('click', () => {
    if (logs.page === 0) return
    logs.page--
    guarded(load)
  })
}
