// The Billing tab: costs per day, country and provider, the month so far and projected, what passkey sign-ins
// saved, gateway balances, and the Eskiz checks (./eskiz.js).
import { $, addDays, api, el, fmtDay, fmtInt, fmtMoney, locale, t, today } from '../core.js'
import { chart, kpi, PALETTE, providerColor, stackedBars } from '../widgets.js'
import { loadEskiz } from './eskiz.js'

function fmtBalance(amount, currency) {
  try {
    return fmtMoney(amount, currency)
  } catch {
    return `${new Intl.NumberFormat(locale()).format(amount)} ${currency ?? ''}`
  }
}

export async function load() {
  const to = today()
  const b = await api(`/billing?from=${addDays(to, -29)}&to=${to}`)
  const cur = b.currency
  $('#billing-note').textContent = t('billingNote', { currency: cur, tz: b.time_zone })
  $('#billing-kpis').replaceChildren(
    kpi(t('monthToDate'), fmtMoney(b.month.to_date, cur), b.month.month),
    kpi(
      t('projected'),
      fmtMoney(b.month.projected, cur),
      `${b.month.days_elapsed} / ${b.month.days_in_month}`,
    ),
    kpi(t('today'), fmtMoney(b.today, cur)),
    kpi(
      t('periodTotal'),
      fmtMoney(b.total, cur),
      b.unpriced > 0 ? t('unpriced', { n: fmtInt(b.unpriced) }) : `${b.from} — ${b.to}`,
    ),
    // The code SMS passkey sign-ins did not need, at their routes' prices.
    kpi(
      t('passkeySaved'),
      fmtMoney(b.passkeys.saved, cur),
      t('passkeySignIns', { n: fmtInt(b.passkeys.sign_ins) }),
    ),
  )
  const money = { ticks: { callback: (v) => fmtMoney(v, cur) }, grid: { color: '#eef2f7' } }
  chart(
    'chart-cost-day',
    stackedBars(
      b.days.map(fmtDay),
      Object.entries(b.cost_by_day).map(([p, data]) => ({
        label: p,
        data,
        backgroundColor: providerColor(p),
        borderRadius: 3,
      })),
      {
        scales: {
          x: { stacked: true, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, ...money },
        },
      },
    ),
  )
  const horizontal = (rows, key, color) => ({
    type: 'bar',
    data: {
      labels: rows.map((r) => r[key]),
      datasets: [
        {
          label: cur,
          data: rows.map((r) => r.cost),
          backgroundColor: rows.map((r, i) => color(r[key], i)),
          borderRadius: 4,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ...money }, y: { grid: { display: false } } },
    },
  })
  chart(
    'chart-cost-country',
    horizontal(b.by_country, 'country', (_, i) => PALETTE[i % PALETTE.length]),
  )
  chart('chart-cost-provider', horizontal(b.by_provider, 'provider', providerColor))
  $('#balances-table tbody').replaceChildren(
    ...b.balances.map((bal) =>
      el(
        'tr',
        {},
        el('td', {}, bal.provider),
        el('td', { class: 'num' }, bal.balance === null ? '—' : fmtBalance(bal.balance, bal.currency)),
        el(
          'td',
          { class: bal.error ? 'error' : 'muted' },
          bal.error
            ? `${t('balanceFailed')}: ${bal.error}`
            : bal.balance === null
              ? t('balanceUnsupported')
              : '',
        ),
      ),
    ),
  )
  // Last: it asks Eskiz several questions, and the costs above need none of them.
  await loadEskiz()
}

export function bind() {}
