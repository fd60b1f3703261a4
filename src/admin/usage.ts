import type { Db } from '../db/index.js'
import { SMS_STATUSES, type SmsStatus } from '../db/schema.js'
import { type DayRange, dayOfNumber, localDay } from './days.js'

/** Statuses that are not final: no receipt has said delivered or undelivered yet. */
const IN_FLIGHT = new Set<SmsStatus>(['pending', 'queued', 'sent'])

const rate = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null

/**
 * Messages per day by status and by provider (each attempt counts: a failover sends twice), the delivery rate
 * (messages whose last attempt was delivered / messages) and the verification success rate (codes verified /
 * codes sent). `otp_events` must be up to date (the caller flushes this instance's buffer first).
 */
export async function usageReport(db: Db, r: DayRange) {
  const offset = r.offsetMs
  const attempts = await db
    .selectFrom('sms_log')
    .select((eb) => [
      localDay(eb, 'created_at', offset).as('day'),
      'status',
      'provider',
      eb.fn.countAll<number>().as('n'),
    ])
    .where('created_at', '>=', r.startMs)
    .where('created_at', '<', r.endMs)
    .groupBy((eb) => [localDay(eb, 'created_at', offset), 'status', 'provider'])
    .execute()

  // A message's outcome is its last attempt's status.
  const outcomes = await db
    .selectFrom('sms_log as s')
    .select((eb) => [
      localDay(eb, 's.created_at', offset).as('day'),
      's.status',
      eb.fn.countAll<number>().as('n'),
    ])
    .where('s.created_at', '>=', r.startMs)
    .where('s.created_at', '<', r.endMs)
    .where(({ eb, selectFrom }) =>
      eb(
        's.attempt',
        '=',
        selectFrom('sms_log as t')
          .select((e) => e.fn.max('t.attempt').as('m'))
          .whereRef('t.request_id', '=', 's.request_id'),
      ),
    )
    .groupBy((eb) => [localDay(eb, 's.created_at', offset), 's.status'])
    .execute()

  const events = await db
    .selectFrom('otp_events')
    .select((eb) => [localDay(eb, 'created_at', offset).as('day'), 'kind', eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', r.startMs)
    .where('created_at', '<', r.endMs)
    .groupBy((eb) => [localDay(eb, 'created_at', offset), 'kind'])
    .execute()

  const index = new Map(r.days.map((d, i) => [d, i]))
  const at = (day: number | string) => index.get(dayOfNumber(day))
  const zeros = () => r.days.map(() => 0)
  const byStatus: Record<string, number[]> = Object.fromEntries(SMS_STATUSES.map((s) => [s, zeros()]))
  const byProvider: Record<string, number[]> = {}
  for (const row of attempts) {
    const i = at(row.day)
    if (i === undefined) continue
    const status = byStatus[row.status] ?? zeros()
    byStatus[row.status] = status
    status[i] = (status[i] ?? 0) + Number(row.n)
    const provider = byProvider[row.provider] ?? zeros()
    byProvider[row.provider] = provider
    provider[i] = (provider[i] ?? 0) + Number(row.n)
  }
  const messages = zeros()
  const delivered = zeros()
  const totals = { messages: 0, delivered: 0, undelivered: 0, failed: 0, in_flight: 0, unknown: 0 }
  for (const row of outcomes) {
    const i = at(row.day)
    if (i === undefined) continue
    const n = Number(row.n)
    messages[i] = (messages[i] ?? 0) + n
    totals.messages += n
    if (row.status === 'delivered') {
      delivered[i] = (delivered[i] ?? 0) + n
      totals.delivered += n
    } else if (row.status === 'undelivered') totals.undelivered += n
    else if (row.status === 'failed') totals.failed += n
    else if (IN_FLIGHT.has(row.status)) totals.in_flight += n
    else if (row.status === 'unknown') totals.unknown += n
  }
  const codesSent = zeros()
  const codesVerified = zeros()
  for (const row of events) {
    const i = at(row.day)
    if (i === undefined) continue
    const series = row.kind === 'verified' ? codesVerified : codesSent
    series[i] = (series[i] ?? 0) + Number(row.n)
  }
  const sent = codesSent.reduce((a, b) => a + b, 0)
  const verified = codesVerified.reduce((a, b) => a + b, 0)
  return {
    from: r.from,
    to: r.to,
    days: r.days,
    attempts_by_status: byStatus,
    attempts_by_provider: byProvider,
    messages,
    delivered,
    delivery_rate: r.days.map((_, i) => rate(delivered[i] ?? 0, messages[i] ?? 0)),
    codes_sent: codesSent,
    codes_verified: codesVerified,
    verification_rate: r.days.map((_, i) => rate(codesVerified[i] ?? 0, codesSent[i] ?? 0)),
    totals: {
      ...totals,
      delivery_rate: rate(totals.delivered, totals.messages),
      codes_sent: sent,
      codes_verified: verified,
      verification_rate: rate(verified, sent),
    },
  }
}
