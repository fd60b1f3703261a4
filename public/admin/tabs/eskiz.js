// The Billing tab's Eskiz card: whether Eskiz bills every text the service sends as a service SMS, the price
// per part each operator was billed this month, and whether the balance lasts the next 7 days.
import { $, api, el, locale, t } from '../core.js'

const soum = (n) => t('soum', { n: new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(n) })

function verdict(text) {
  const label = t(`v_${text.verdict}`, { id: text.template?.id ?? '' })
  const bad = text.verdict === 'advertising' || text.verdict === 'rejected'
  const cell = el('td', { class: bad ? 'error' : text.verdict === 'service' ? '' : 'muted' }, label)
  if (text.special.length > 0)
    cell.append(el('div', { class: 'muted small' }, t('eskizSpecial', { chars: text.special.join(' ') })))
  return cell
}

export async function loadEskiz() {
  const r = await api('/billing/eskiz')
  $('#eskiz-card').hidden = !r.enabled
  if (!r.enabled) return
  const balance = $('#eskiz-balance')
  balance.className = r.low_balance ? 'error' : 'muted'
  balance.textContent =
    r.balance === null
      ? ''
      : t(r.low_balance ? 'eskizBalanceLow' : 'eskizBalance', {
          balance: soum(r.balance),
          perDay: soum(r.per_day),
          days: r.days_left ?? '',
        })
  if (r.errors.length > 0)
    balance.append(el('div', { class: 'error' }, t('eskizFailed', { errors: r.errors.join('; ') })))
  $('#eskiz-texts tbody').replaceChildren(
    ...r.texts.map((x) =>
      el(
        'tr',
        { 'data-verdict': x.verdict },
        el('td', {}, x.label),
        el('td', { class: 'sms-text' }, x.text),
        verdict(x),
      ),
    ),
  )
  $('#eskiz-operators tbody').replaceChildren(
    ...r.operators.map((o) =>
      el(
        'tr',
        {},
        el('td', {}, o.operator),
        el('td', { class: 'num' }, o.service === null ? '—' : soum(o.service)),
        el('td', { class: 'num' }, o.advertising === null ? '—' : soum(o.advertising)),
      ),
    ),
  )
}
