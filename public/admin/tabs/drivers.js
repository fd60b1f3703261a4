// The Drivers tab: the roster of numbers that may sign in with the driver app. Add a number, find one,
// take one off (which ends that number's driver sessions). Files are imported with `royal-taxi drivers import`.
import { $, api, el, fmtInt, fmtTime, guarded, t } from '../core.js'

const PAGE = 50
let search = ''
let cursor = null

const source = {
  admin: () => t('addedByAdmin'),
  cli: () => t('addedByCli'),
  import: () => t('addedByImport'),
}

function note(text) {
  const node = $('#drivers-note')
  node.textContent = text ?? ''
  node.hidden = !text
}

const removeButton = (phone) =>
  el(
    'button',
    {
      class: 'btn btn-danger',
      type: 'button',
      'data-phone': phone,
      onclick: () =>
        confirm(t('removeDriverConfirm', { phone })) &&
        guarded(async () => {
          await api(`/drivers/${encodeURIComponent(phone)}`, { method: 'DELETE' })
          note(t('driverRemoved', { phone }))
          await load()
        }),
    },
    t('removeDriver'),
  )

const row = (d) =>
  el(
    'tr',
    {},
    el('td', { class: 'mono' }, d.phone),
    el('td', {}, d.name ?? '—'),
    el('td', {}, source[d.added_by]?.() ?? d.added_by),
    el('td', {}, fmtTime(d.created_at)),
    el('td', { class: 'num' }, removeButton(d.phone)),
  )

/** One page of the roster, added below the rows shown (`more`) or instead of them. */
async function fetchPage(more) {
  const query = new URLSearchParams({ limit: String(PAGE) })
  if (search) query.set('search', search)
  if (more && cursor) query.set('cursor', cursor)
  const page = await api(`/drivers?${query}`)
  const body = $('#drivers-table tbody')
  const rows = page.drivers.map(row)
  if (more) body.append(...rows)
  else body.replaceChildren(...rows)
  cursor = page.next_cursor
  $('#drivers-more').hidden = cursor === null
  $('#drivers-empty').hidden = body.children.length > 0
  $('#drivers-total').textContent = t('driversTotal', { n: fmtInt(page.total) })
}

export async function load() {
  $('#d-search').placeholder = t('searchDrivers')
  await fetchPage(false)
}

async function add(form) {
  const phone = form.elements.phone.value.trim()
  const name = form.elements.name.value.trim()
  if (!phone) return
  const answer = await api('/drivers', {
    method: 'POST',
    json: { drivers: [name ? { phone, name } : { phone }] },
  })
  const added = answer.added[0]
  note(
    added
      ? t('driverAdded', { phone: added.phone })
      : t('driverAlreadyThere', { phone: answer.already_present[0] }),
  )
  form.reset()
  await load()
}

export function bind() {
  $('#drivers-add').addEventListener('submit', (event) => {
    event.preventDefault()
    note(null)
    guarded(() => add(event.target))
  })
  $('#drivers-search').addEventListener('submit', (event) => {
    event.preventDefault()
    search = event.target.elements.search.value.trim()
    guarded(load)
  })
  $('#drivers-more').addEventListener('click', () => guarded(() => fetchPage(true)))
}
