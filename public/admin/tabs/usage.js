// The Usage tab: messages per day by status and provider, delivery and verification rates.
import { $, $$, addDays, api, fmtDay, fmtInt, fmtMoney, fmtPct, guarded, state, t, today } from '../core.js'
import { chart, kpi, pressSegment, providerColor, STATUS_COLORS, stackedBars } from '../widgets.js'

let days = 30

export async function load() {
  pressSegment('#usage-range', 'days', days)
  const to = today()
  const u = await api(`/usage?from=${addDays(to, -(days - 1))}&to=${to}`)
  $('#usage-tz').textContent = t('daysIn', { tz: u.time_zone })
  const tot = u.totals
  $('#usage-kpis').replaceChildren(
    kpi(
      t('messages'),
      fmtInt(tot.messages),
      // Rows a crash left pending that their gateway could not account for: they may still have been billed.
      [
        t('inFlight', { n: fmtInt(tot.in_flight) }),
        tot.unknown ? t('unknownOutcome', { n: fmtInt(tot.unknown) }) : '',
      ]
        .filter(Boolean)
        .join(' · '),
    ),
    kpi(
      t('deliveryRate'),
      fmtPct(tot.delivery_rate),
      t('ofMessages', { a: fmtInt(tot.delivered), b: fmtInt(tot.messages) }),
    ),
    kpi(t('codesSent'), fmtInt(tot.codes_sent), `${t('codesVerified')}: ${fmtInt(tot.codes_verified)}`),
    kpi(
      t('verificationRate'),
      fmtPct(tot.verification_rate),
      t('ofCodes', { a: fmtInt(tot.codes_verified), b: fmtInt(tot.codes_sent) }),
    ),
    // With Telegram in use: delivery by channel (refunds included in the cost) and how often a code went again
    // by SMS. Without it the SMS figures are the ones above.
    ...channelKpis(u.by_channel),
  )
  const labels = u.days.map(fmtDay)
  chart(
    'chart-status',
    stackedBars(
      labels,
      state.info.statuses.map((s) => ({
        label: t(`st_${s}`),
        data: u.attempts_by_status[s] ?? [],
        backgroundColor: STATUS_COLORS[s],
        borderRadius: 3,
      })),
    ),
  )
  chart(
    'chart-provider',
    stackedBars(
      labels,
      Object.entries(u.attempts_by_provider).map(([p, data]) => ({
        label: p,
        data,
        backgroundColor: providerColor(p),
        borderRadius: 3,
      })),
    ),
  )
  const pct = (series) => series.map((r) => (r === null ? null : Math.round(r * 1000) / 10))
  chart('chart-rates', {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: t('deliveryRate'),
          data: pct(u.delivery_rate),
          borderColor: '#16a34a',
          backgroundColor: '#16a34a',
        },
        {
          label: t('verificationRate'),
          data: pct(u.verification_rate),
          borderColor: '#7c3aed',
          backgroundColor: '#7c3aed',
        },
      ].map((d) => ({ ...d, tension: 0.3, spanGaps: true, pointRadius: 3, borderWidth: 2 })),
    },
    options: {
      scales: {
        x: { grid: { display: false } },
        y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` }, grid: { color: '#eef2f7' } },
      },
    },
  })
}

function channelKpis(byChannel) {
  if (byChannel.channels.telegram.attempts === 0) return []
  return [
    ...Object.entries(byChannel.channels).map(([channel, c]) =>
      kpi(
        t('channelDelivery', { channel: channel === 'telegram' ? 'Telegram' : 'SMS' }),
        fmtPct(c.delivery_rate),
        t('channelCost', {
          a: fmtInt(c.delivered),
          b: fmtInt(c.accepted),
          cost: fmtMoney(c.cost_usd, 'USD'),
        }),
      ),
    ),
    kpi(
      t('fallbackRate'),
      fmtPct(byChannel.fallback_rate),
      t('fallbackOf', { a: fmtInt(byChannel.delivery_fallbacks), b: fmtInt(byChannel.codes) }),
    ),
  ]
}

export function bind() {
  for (const b of $$('#usage-range button'))
    b.addEventListener('click', () => {
      days = Number(b.dataset.days)
      guarded(load)
    })
}
