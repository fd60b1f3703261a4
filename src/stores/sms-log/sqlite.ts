import type { SqliteConnection } from '../../db/sqlite.js'
import {
  type AcceptedMessage,
  type DeliveryWatch,
  type DueDelivery,
  type FailedAttempt,
  type PendingAttempt,
  type ReceiptRecord,
  type ReceiptResult,
  type Resolution,
  receiptColumns,
  resolutionColumns,
  type SentAttempt,
  type SmsLogStore,
  type StaleAttempt,
  statusesBefore,
} from './index.js'

const INSERT_PENDING = `insert into sms_log (id, request_id, attempt, phone, country, operator, provider, status,
    segments, encoding, cost, currency, cost_usd, price_source, created_at, updated_at, channel, fallback)
  values (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// A receipt may already have moved the row on; a reported price replaces the estimate.
const UPDATE_SENT = `update sms_log set status = ?, provider_message_id = ?, sent_at = ?, duration_ms = ?,
    updated_at = ?, cost = coalesce(?, cost), currency = coalesce(?, currency),
    cost_usd = coalesce(?, cost_usd), price_source = coalesce(?, price_source)
  where id = ? and status = 'pending'`

// A cost of null keeps the estimate.
const UPDATE_FAILED = `update sms_log set status = 'failed', error_code = ?, error_message = ?, failed_at = ?,
    duration_ms = ?, updated_at = ?, cost = coalesce(?, cost), cost_usd = coalesce(?, cost_usd)
  where id = ?`

// Our id first; the gateway's id only among this provider's messages.
const FIND_BY_ID = 'select id from sms_log where id = ? and provider = ?'
const FIND_BY_PROVIDER_ID = 'select id from sms_log where provider = ? and provider_message_id = ?'

const INSERT_RECEIPT = `insert into sms_receipts (sms_log_id, provider, raw_status, status, error_code, received_at)
  values (?, ?, ?, ?, ?, ?)
  on conflict (sms_log_id, raw_status) do nothing`

/** The status move, for the statuses a receipt may move a message on from (a handful of texts in all). */
const moveStatus = (before: number) => `update sms_log set status = ?, updated_at = ?,
    delivered_at = coalesce(?, delivered_at), failed_at = coalesce(?, failed_at),
    error_code = coalesce(?, error_code)
  where id = ? and status in (${Array(before).fill('?').join(', ')})`

// Only a receipt that states the row's status (after its move) may set the price: a late `sent` report must
// not restore the fee a refunded `expired` one cleared.
const SET_REPORTED_COST = `update sms_log set cost = ?, currency = ?, cost_usd = ?, price_source = 'provider',
    updated_at = ?
  where id = ? and status = ?`

const WATCHED_STATUS = 'select status from sms_log where id = ?'
const WATCH = `insert into sms_deliveries (id, phone, code_id, channel, sealed, watched_log_id, next_step, attempts,
    state, due_at, claimed_until, expires_at, created_at, updated_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?)
  on conflict (id) do update set sealed = excluded.sealed, watched_log_id = excluded.watched_log_id,
    next_step = excluded.next_step, attempts = excluded.attempts, state = excluded.state,
    due_at = excluded.due_at, claimed_until = null, updated_at = excluded.updated_at
  where (sms_deliveries.state = 'sending' and sms_deliveries.watched_log_id <> excluded.watched_log_id)
    or (sms_deliveries.state = 'waiting' and sms_deliveries.watched_log_id = excluded.watched_log_id)`
// The sender moves on from a refused attempt: the wait recorded for it goes with it.
const UNWATCH = "delete from sms_deliveries where watched_log_id = ? and state = 'waiting'"
const RECEIPT_DELIVERED = `update sms_deliveries set state = 'delivered', sealed = null, updated_at = ?
  where watched_log_id = ? and state = 'waiting'`
const RECEIPT_UNDELIVERED = `update sms_deliveries set due_at = min(due_at, ?), updated_at = ?
  where watched_log_id = ? and state = 'waiting'`
const CLAIM = `update sms_deliveries set state = 'sending', claimed_until = ?, updated_at = ?
  where id in (select id from sms_deliveries
    where (state = 'waiting' and due_at <= ?) or (state = 'sending' and claimed_until <= ?)
    order by due_at limit ?)
  returning id, phone, code_id as codeId, channel, sealed, next_step as nextStep, attempts,
    expires_at as expiresAt`
const SETTLE = `update sms_deliveries set state = ?, sealed = null, claimed_until = null, updated_at = ?
  where id = ? and state = 'sending'`

// The newest send found on the (phone, created_at) index, its attempts on the request_id one.
const LAST_SEND = `select provider, provider_message_id as providerMessageId from sms_log
  where request_id = (select request_id from sms_log where phone = ? and created_at >= ?
      order by created_at desc limit 1)
    and provider_message_id is not null and status <> 'failed'
  order by attempt`

const STALE = `select id, provider, phone, provider_message_id as providerMessageId, created_at as at
  from sms_log where created_at >= ? and created_at < ? and status = 'pending'
  order by created_at limit ?`

const RESOLVE = `update sms_log set status = ?, provider_message_id = coalesce(?, provider_message_id),
    sent_at = coalesce(?, sent_at), delivered_at = coalesce(?, delivered_at), failed_at = coalesce(?, failed_at),
    updated_at = ?
  where id = ? and status = 'pending'`

export class SqliteSmsLogStore implements SmsLogStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  async pending(a: PendingAttempt): Promise<void> {
    await this.sqlite.run(
      INSERT_PENDING,
      a.id,
      a.requestId,
      a.attempt,
      a.phone,
      a.country,
      a.operator,
      a.provider,
      a.segments,
      a.encoding,
      a.estimate?.amount ?? null,
      a.estimate?.currency ?? null,
      a.estimate?.usd ?? null,
      a.estimate ? 'estimate' : null,
      a.at,
      a.at,
      a.channel ?? 'sms',
      a.fallback ?? null,
    )
  }

  async sent(a: SentAttempt): Promise<void> {
    await this.sqlite.run(
      UPDATE_SENT,
      a.status,
      a.providerMessageId,
      a.at,
      a.durationMs,
      a.at,
      a.reported?.amount ?? null,
      a.reported?.currency ?? null,
      a.reported?.usd ?? null,
      a.reported ? 'provider' : null,
      a.id,
    )
  }

  failed(a: FailedAttempt): Promise<void> {
    const cost = a.billed ? null : 0
    return this.sqlite.write(() => {
      this.sqlite
        .prepare(UPDATE_FAILED)
        .run(a.errorCode, a.errorMessage, a.at, a.durationMs, a.at, cost, cost, a.id)
      this.sqlite.prepare(UNWATCH).run(a.id)
    })
  }

  applyReceipt(r: ReceiptRecord): Promise<ReceiptResult> {
    return this.sqlite.write((): ReceiptResult => {
      const id = this.find(r)
      if (id === undefined) return 'unknown_message'
      const inserted = this.sqlite
        .prepare(INSERT_RECEIPT)
        .run(id, r.provider, r.rawStatus, r.status, r.errorCode, r.at)
      const before = statusesBefore(r.status)
      const { deliveredAt, failedAt, errorCode } = receiptColumns(r)
      const moved = this.sqlite
        .prepare(moveStatus(before.length))
        .run(r.status, r.at, deliveredAt, failedAt, errorCode, id, ...before)
      if (r.reported)
        this.sqlite
          .prepare(SET_REPORTED_COST)
          .run(r.reported.amount, r.reported.currency, r.reported.usd, r.at, id, r.status)
      if (moved.changes > 0 && r.status === 'delivered') this.sqlite.prepare(RECEIPT_DELIVERED).run(r.at, id)
      else if (moved.changes > 0 && (r.status === 'undelivered' || r.status === 'failed'))
        this.sqlite.prepare(RECEIPT_UNDELIVERED).run(r.at, r.at, id)
      return inserted.changes > 0 || moved.changes > 0 ? 'updated' : 'unchanged'
    })
  }

  async stale(since: number, before: number, limit: number): Promise<StaleAttempt[]> {
    return this.sqlite.prepare(STALE).all(since, before, limit) as StaleAttempt[]
  }

  async lastSend(phone: string, since: number): Promise<AcceptedMessage[]> {
    return this.sqlite.prepare(LAST_SEND).all(phone, since) as AcceptedMessage[]
  }

  async resolve(r: Resolution): Promise<boolean> {
    const { sentAt, deliveredAt, failedAt } = resolutionColumns(r)
    const done = await this.sqlite.run(
      RESOLVE,
      r.status,
      r.providerMessageId,
      sentAt,
      deliveredAt,
      failedAt,
      r.at,
      r.id,
    )
    return done.changes > 0
  }

  watch(w: DeliveryWatch): Promise<void> {
    return this.sqlite.write(() => {
      const row = this.sqlite.prepare(WATCHED_STATUS).get(w.watchedLogId) as { status: string } | undefined
      const delivered = row?.status === 'delivered'
      const missed = row?.status === 'undelivered' || row?.status === 'failed'
      this.sqlite
        .prepare(WATCH)
        .run(
          w.id,
          w.phone,
          w.codeId,
          w.channel,
          delivered ? null : w.sealed,
          w.watchedLogId,
          w.nextStep,
          w.attempts,
          delivered ? 'delivered' : 'waiting',
          missed ? w.at : w.dueAt,
          w.expiresAt,
          w.at,
          w.at,
        )
    })
  }

  claimDue(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]> {
    return this.sqlite.write(
      () => this.sqlite.prepare(CLAIM).all(now + leaseMs, now, now, now, limit) as DueDelivery[],
    )
  }

  async settle(id: string, state: 'fell_back' | 'expired' | 'failed', at: number): Promise<void> {
    await this.sqlite.run(SETTLE, state, at, id)
  }

  private find(r: ReceiptRecord): string | undefined {
    type Row = { id: string } | undefined
    if (r.logId) {
      const row = this.sqlite.prepare(FIND_BY_ID).get(r.logId, r.provider) as Row
      if (row) return row.id
    }
    if (!r.providerMessageId) return undefined
    return (this.sqlite.prepare(FIND_BY_PROVIDER_ID).get(r.provider, r.providerMessageId) as Row)?.id
  }
}
