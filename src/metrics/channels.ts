import { Gauge } from 'prom-client'
import { type ChannelFigures, type ChannelReport, channelReport } from '../admin/channels.js'
import type { Db } from '../db/index.js'
import type { Metrics } from './index.js'

/** The window the channel gauges describe: long enough to smooth a quiet night, short enough to show a fault. */
export const CHANNEL_WINDOW_MS = 24 * 3600 * 1000

/**
 * Delivery by channel, read from the SMS log when Prometheus scrapes: the log is shared by every instance and
 * holds what no instance's counters see (delivery reports, refunds, fallbacks made by another instance), so
 * the figures are the same whichever instance is scraped. One grouped query over the last day per scrape.
 */
export function registerChannelGauges(metrics: Metrics, db: Db, now: () => number = Date.now): void {
  let pending: Promise<ChannelReport | null> | null = null
  // The gauges share one query per scrape: the first collect starts it, the others wait for it. A database
  // that cannot answer leaves the gauges out of this scrape rather than failing the whole of /metrics.
  const report = () => {
    pending ??= channelReport(db, now() - CHANNEL_WINDOW_MS, now() + 1)
      .catch(() => null)
      .finally(() => {
        setImmediate(() => {
          pending = null
        })
      })
    return pending
  }
  const byChannel = (name: string, help: string, pick: (f: ChannelFigures) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['channel'] as const,
      registers: [metrics.registry],
      async collect() {
        const r = await report()
        for (const [channel, figures] of Object.entries(r?.channels ?? {})) {
          const value = pick(figures)
          if (value !== null) this.set({ channel }, value)
        }
      },
    })
  byChannel(
    'sms_channel_attempts_24h',
    'Attempts in the last 24 h by channel (sms, telegram)',
    (f) => f.attempts,
  )
  byChannel(
    'sms_channel_delivery_ratio_24h',
    'Delivered / accepted attempts in the last 24 h by channel',
    (f) => f.delivery_rate,
  )
  byChannel(
    'sms_channel_cost_usd_24h',
    'Cost in the last 24 h by channel, in US dollars, refunds included',
    (f) => f.cost_usd,
  )
  new Gauge({
    name: 'sms_delivery_fallback_ratio_24h',
    help: 'Share of codes in the last 24 h sent again on the next step because no delivery report came in time',
    registers: [metrics.registry],
    async collect() {
      const r = await report()
      if (r) this.set(r.fallback_rate ?? 0)
    },
  })
}
