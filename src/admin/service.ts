import type { Redis } from 'ioredis'
import { type ExpressionBuilder, sql } from 'kysely'
import { listBlocks, removeBlock } from '../abuse/blocks.js'
import type { DatabaseHandle } from '../db/index.js'
import type { Database, SmsLog, SmsReceipt, SmsStatus } from '../db/schema.js'
import { AppError } from '../errors.js'
import type { OtpEvents } from '../otp/events.js'
import type { LimitSpec } from '../otp/limits.js'
import type { SmsProvider } from '../sms/provider.js'
import { billingReport } from './billing.js'
import { addDays, type DayRange, dayOf, dayRange, isDay, startOfDay, zoneOffsetMs } from './days.js'
import { type LimitedKey, limitedKeys } from './limits.js'
import type { LogFilter, MessageOut, ProviderBalanceOut } from './schemas.js'

export const SMS_STATUSES = [
  'pending',
  'queued',
  'sent',
  'delivered',
  'undelivered',
  'failed',
] as const satisfies SmsStatus[]
/** Statuses that are not final: no receipt has said delivered or undelivered yet. */
const IN_FLIGHT = new Set<SmsStatus>(['pending', 'queued', 'sent'])
const MAX_RANGE_DAYS = 366
const BALANCE_TIMEOUT_MS = 5000

const iso = (ms: number) => new Date(ms).toISOString()
const rate = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null

function badRequest(field: string, message: string): AppError {
  return new AppError(
    'VALIDATION_ERROR',
    { details: `${field}: ${message}` },
    { errors: [{ field, message }] },
  )
}

function checkDays(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && !isDay(from)) throw badRequest('from', 'expected a date YYYY-MM-DD')
  if (to !== undefined && !isDay(to)) throw badRequest('to', 'expected a date YYYY-MM-DD')
}

function encodeCursor(createdAt: number, requestId: string): string {
  return Buffer.from(`${createdAt}:${requestId}`).toString('base64url')
}

function decodeCursor(cursor: string): { createdAt: number; requestId: string } {
  const m = /^(\d{1,16}):(.{1,100})$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (!m) throw badRequest('cursor', 'is not a cursor this API returned')
  return { createdAt: Number(m[1]), requestId: m[2] as string }
}

/**
 * The queries behind the admin console: the SMS log, usage, costs and abuse. Read-only, on the same database
 * as the service (SQLite or PostgreSQL through Kysely); day buckets come from ./days.ts.
 */
export class AdminService {
  constructor(
    private readonly database: DatabaseHandle,
    private readonly redis: { client: Redis; keyPrefix: string } | null,
    private readonly limits: readonly LimitSpec[],
    private readonly providers: readonly SmsProvider[],
    readonly timeZone: string,
    /** Trailing digits dropped from a number to get its prefix (PUMPING_PREFIX_DROP_DIGITS). */
    private readonly prefixDropDigits = 3,
    /** This instance's buffered statistics, written before otp_events is read (src/otp/events.ts). */
    private readonly events: Pick<OtpEvents, 'flush'> | null = null,
  ) {}

  private get db() {
    return this.database.db
  }

  private range(
    from: string | undefined,
    to: string | undefined,
    defaultDays: number,
    now: number,
  ): DayRange {
    checkDays(from, to)
    const r = dayRange(zoneOffsetMs(this.timeZone, now), now, from, to, defaultDays)
    if (r.from > r.to) throw badRequest('from', 'must not be after "to"')
    if (r.days.length > MAX_RANGE_DAYS)
      throw badRequest('from', `the range is limited to ${MAX_RANGE_DAYS} days`)
    return r
  }

  /** Names seen in the SMS log, for the filters. */
  async providersSeen(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('sms_log')
      .select('provider')
      .distinct()
      .orderBy('provider')
      .execute()
    return rows.map((r) => r.provider)
  }

  /**
   * The SMS log, one entry per message (a send request and its failover attempts), newest first. Keyset
   * pagination on (first attempt's time, request id): pages stay stable while new messages arrive. A filter on
   * status or provider matches a message when any of its attempts matches.
   */
  async logs(
    filter: LogFilter,
    now = Date.now(),
  ): Promise<{ messages: MessageOut[]; next_cursor: string | null }> {
    const offset = zoneOffsetMs(this.timeZone, now)
    checkDays(filter.from, filter.to)
    const cursor = filter.cursor ? decodeCursor(filter.cursor) : null
    const digits = filter.phone?.replace(/\D/g, '') ?? ''

    let q = this.db
      .selectFrom('sms_log')
      .select((eb) => ['request_id', eb.fn.min('created_at').as('started_at')])
      .groupBy('request_id')
    if (digits) q = q.where('phone', 'like', `%${digits}%`)
    if (filter.status) q = q.where('status', '=', filter.status)
    if (filter.provider) q = q.where('provider', '=', filter.provider)
    if (filter.country) q = q.where('country', '=', filter.country.toUpperCase())
    if (filter.from) q = q.where('created_at', '>=', startOfDay(filter.from, offset))
    if (filter.to) q = q.where('created_at', '<', startOfDay(addDays(filter.to, 1), offset))
    if (cursor) {
      const started = (eb: ExpressionBuilder<Database, 'sms_log'>) => eb.fn.min<number>('created_at')
      q = q.having((eb) =>
        eb.or([
          eb(started(eb), '<', cursor.createdAt),
          eb.and([eb(started(eb), '=', cursor.createdAt), eb('request_id', '<', cursor.requestId)]),
        ]),
      )
    }
    const page = await q
      .orderBy('started_at', 'desc')
      .orderBy('request_id', 'desc')
      .limit(filter.limit + 1)
      .execute()
    const more = page.length > filter.limit
    const ids = page.slice(0, filter.limit).map((r) => r.request_id)
    if (ids.length === 0) return { messages: [], next_cursor: null }

    const rows = await this.db
      .selectFrom('sms_log')
      .selectAll()
      .where('request_id', 'in', ids)
      .orderBy('attempt')
      .execute()
    const receipts = await this.db
      .selectFrom('sms_receipts')
      .selectAll()
      .where(
        'sms_log_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('received_at')
      .orderBy('id')
      .execute()
    const byAttempt = new Map<string, SmsReceipt[]>()
    for (const r of receipts) byAttempt.set(r.sms_log_id, [...(byAttempt.get(r.sms_log_id) ?? []), r])
    const byRequest = new Map<string, SmsLog[]>()
    for (const r of rows) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r])
    const messages = ids.map((id) => toMessage(byRequest.get(id) ?? [], byAttempt))
    const last = page[filter.limit - 1]
    return {
      messages,
      next_cursor: more && last ? encodeCursor(Number(last.started_at), last.request_id) : null,
    }
  }

  /**
   * Messages per day by status and by provider (each attempt counts: a failover sends twice), the delivery rate
   * (messages whose last attempt was delivered / messages) and the verification success rate (codes verified /
   * codes sent).
   */
  async usage(from: string | undefined, to: string | undefined, now = Date.now()) {
    const r = this.range(from, to, 30, now)
    const offset = zoneOffsetMs(this.timeZone, now)
    const day = dayOf(this.database.kind, 'created_at', offset)

    const attempts = await this.db
      .selectFrom('sms_log')
      .select((eb) => [day.as('day'), 'status', 'provider', eb.fn.countAll<number>().as('n')])
      .where('created_at', '>=', r.startMs)
      .where('created_at', '<', r.endMs)
      .groupBy([day, 'status', 'provider'])
      .execute()

    // A message's outcome is its last attempt's status.
    const outcomes = await this.db
      .selectFrom('sms_log as s')
      .select((eb) => [
        dayOf(this.database.kind, 's.created_at', offset).as('day'),
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
      .groupBy([dayOf(this.database.kind, 's.created_at', offset), 's.status'])
      .execute()

    await this.events?.flush()
    const events = await this.db
      .selectFrom('otp_events')
      .select((eb) => [day.as('day'), 'kind', eb.fn.countAll<number>().as('n')])
      .where('created_at', '>=', r.startMs)
      .where('created_at', '<', r.endMs)
      .groupBy([day, 'kind'])
      .execute()

    const index = new Map(r.days.map((d, i) => [d, i]))
    const zeros = () => r.days.map(() => 0)
    const byStatus: Record<string, number[]> = Object.fromEntries(SMS_STATUSES.map((s) => [s, zeros()]))
    const byProvider: Record<string, number[]> = {}
    for (const row of attempts) {
      const i = index.get(row.day)
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
    const totals = { messages: 0, delivered: 0, undelivered: 0, failed: 0, in_flight: 0 }
    for (const row of outcomes) {
      const i = index.get(row.day)
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
    }
    const codesSent = zeros()
    const codesVerified = zeros()
    for (const row of events) {
      const i = index.get(row.day)
      if (i === undefined) continue
      const series = row.kind === 'verified' ? codesVerified : codesSent
      series[i] = (series[i] ?? 0) + Number(row.n)
    }
    const sent = codesSent.reduce((a, b) => a + b, 0)
    const verified = codesVerified.reduce((a, b) => a + b, 0)
    return {
      from: r.from,
      to: r.to,
      time_zone: this.timeZone,
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

  /** Costs per day, country and provider over a range (default the last 30 days), and the current month. */
  async billing(from: string | undefined, to: string | undefined, now = Date.now()) {
    const r = this.range(from, to, 30, now)
    const report = await billingReport(this.database, r, zoneOffsetMs(this.timeZone, now), now)
    return { ...report, time_zone: this.timeZone, balances: await this.balances() }
  }

  /** Asks every provider that reports a balance, all at once, each within a few seconds. */
  async balances(): Promise<ProviderBalanceOut[]> {
    return await Promise.all(
      this.providers.map(async (p): Promise<ProviderBalanceOut> => {
        const none = { provider: p.name, balance: null, currency: null }
        if (!p.balance) return { ...none, error: null }
        try {
          const b = await p.balance(AbortSignal.timeout(BALANCE_TIMEOUT_MS))
          return { provider: p.name, balance: b.amount, currency: b.currency, error: null }
        } catch (err) {
          return { ...none, error: err instanceof Error ? err.message : String(err) }
        }
      }),
    )
  }

  /** Lifts a prefix block (the row stays as history, removed by "admin"); false when none is in force. */
  async unblock(prefix: string, now = Date.now()): Promise<boolean> {
    return await removeBlock(this.db, prefix, 'admin', now)
  }

  /**
   * Who is held back right now (prefixes blocked as SMS pumping, numbers and IPs at a rate limit), and who sends
   * the most in the last `hours`:
   * IPs by codes sent, number prefixes (the number without its last PUMPING_PREFIX_DROP_DIGITS digits) by messages.
   */
  async abuse(hours: number, now = Date.now()) {
    const since = now - hours * 3_600_000
    const limited: LimitedKey[] = await limitedKeys(this.database, this.redis, this.limits, now)
    await this.events?.flush()
    const topIps = await this.db
      .selectFrom('otp_events')
      .select((eb) => [
        'ip',
        eb.fn.countAll<number>().as('codes'),
        eb.fn.count<number>('phone').distinct().as('numbers'),
      ])
      .where('kind', '=', 'sent')
      .where('created_at', '>=', since)
      .where('ip', 'is not', null)
      .groupBy('ip')
      .orderBy('codes', 'desc')
      .orderBy('ip')
      .limit(10)
      .execute()
    const prefix = sql<string>`substr(phone, 1, length(phone) - ${sql.lit(this.prefixDropDigits)})`
    const topPrefixes = await this.db
      .selectFrom('sms_log')
      .select((eb) => [
        prefix.as('prefix'),
        eb.fn.count<number>('request_id').distinct().as('messages'),
        eb.fn.count<number>('phone').distinct().as('numbers'),
      ])
      .where('created_at', '>=', since)
      .groupBy(prefix)
      .orderBy('messages', 'desc')
      .orderBy('prefix')
      .limit(10)
      .execute()
    const blocks = await listBlocks(this.db, { now })
    return {
      hours,
      blocks: blocks.map((b) => ({
        prefix: b.prefix,
        reason: b.reason,
        detail: b.detail,
        created_by: b.created_by,
        created_at: iso(b.created_at),
        expires_at: b.expires_at === null ? null : iso(b.expires_at),
      })),
      limited,
      top_ips: topIps.map((r) => ({
        ip: r.ip as string,
        codes: Number(r.codes),
        numbers: Number(r.numbers),
      })),
      top_prefixes: topPrefixes.map((r) => ({
        prefix: r.prefix,
        messages: Number(r.messages),
        numbers: Number(r.numbers),
      })),
    }
  }
}

function toMessage(rows: SmsLog[], receipts: Map<string, SmsReceipt[]>): MessageOut {
  const first = rows[0] as SmsLog
  const last = rows.at(-1) as SmsLog
  return {
    request_id: first.request_id,
    phone: first.phone,
    country: first.country,
    operator: first.operator,
    status: last.status,
    provider: last.provider,
    created_at: iso(first.created_at),
    attempts: rows.map((r) => ({
      id: r.id,
      attempt: r.attempt,
      provider: r.provider,
      provider_message_id: r.provider_message_id,
      status: r.status,
      error_code: r.error_code,
      error_message: r.error_message,
      segments: r.segments,
      cost: r.cost,
      currency: r.currency,
      cost_usd: r.cost_usd,
      price_source: r.price_source,
      created_at: iso(r.created_at),
      updated_at: iso(r.updated_at),
      receipts: (receipts.get(r.id) ?? []).map((x) => ({
        status: x.status,
        provider_status: x.raw_status,
        error_code: x.error_code,
        received_at: iso(x.received_at),
      })),
    })),
  }
}
