import type { ExpressionBuilder } from 'kysely'
import type { Db } from '../db/index.js'
import type { Database, SmsLog, SmsReceipt } from '../db/schema.js'
import { addDays, badRequest, checkDays, startOfDay, zoneOffsetMs } from './days.js'
import type { LogFilter, MessageOut } from './schemas.js'

const iso = (ms: number) => new Date(ms).toISOString()

function encodeCursor(createdAt: number, requestId: string): string {
  return Buffer.from(`${createdAt}:${requestId}`).toString('base64url')
}

function decodeCursor(cursor: string): { createdAt: number; requestId: string } {
  const m = /^(\d{1,16}):(.{1,100})$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (!m) throw badRequest('cursor', 'is not a cursor this API returned')
  return { createdAt: Number(m[1]), requestId: m[2] as string }
}

/** Names seen in the SMS log, for the filters. */
export async function providersSeen(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('sms_log').select('provider').distinct().orderBy('provider').execute()
  return rows.map((r) => r.provider)
}

/**
 * The SMS log, one entry per message (a send request and its failover attempts), newest first. Keyset
 * pagination on (first attempt's time, request id): pages stay stable while new messages arrive. A filter on
 * status or provider matches a message when any of its attempts matches.
 */
export async function messages(
  db: Db,
  timeZone: string,
  filter: LogFilter,
  now: number,
): Promise<{ messages: MessageOut[]; next_cursor: string | null }> {
  const offset = zoneOffsetMs(timeZone, now)
  checkDays(filter.from, filter.to)
  const cursor = filter.cursor ? decodeCursor(filter.cursor) : null
  const digits = filter.phone?.replace(/\D/g, '') ?? ''

  let q = db
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

  const rows = await db
    .selectFrom('sms_log')
    .selectAll()
    .where('request_id', 'in', ids)
    .orderBy('attempt')
    .execute()
  const receipts = await db
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
  const last = page[filter.limit - 1]
  return {
    messages: ids.map((id) => toMessage(byRequest.get(id) ?? [], byAttempt)),
    next_cursor: more && last ? encodeCursor(Number(last.started_at), last.request_id) : null,
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
