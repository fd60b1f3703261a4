import type { Pool } from 'pg'
import { inTransaction } from '../../db/postgres.js'
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
  values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12, $13, $14, $14, $15, $16)`

// A receipt may already have moved the row on; a reported price replaces the estimate.
const UPDATE_SENT = `update sms_log set status = $2, provider_message_id = $3, sent_at = $4, duration_ms = $5,
    updated_at = $4, cost = coalesce($6, cost), currency = coalesce($7, currency),
    cost_usd = coalesce($8, cost_usd), price_source = coalesce($9, price_source)
  where id = $1 and status = 'pending'`

// A cost of null keeps the estimate. A wait recorded for the attempt is erased with it: the sender moves on.
const UPDATE_FAILED = `with unwatched as (delete from sms_deliveries where watched_log_id = $1 and state = 'waiting')
  update sms_log set status = 'failed', error_code = $2, error_message = $3, failed_at = $4,
    duration_ms = $5, updated_at = $4, cost = coalesce($6, cost), cost_usd = coalesce($6, cost_usd)
  where id = $1`

// Our id first; the gateway's id only among this provider's messages.
const FIND = `select id from (
    select id, 1 as preference from sms_log where id = $2 and provider = $1
    union all
    select id, 2 from sms_log where provider = $1 and provider_message_id = $3
  ) found order by preference limit 1`

const INSERT_RECEIPT = `insert into sms_receipts (sms_log_id, provider, raw_status, status, error_code, received_at)
  values ($1, $2, $3, $4, $5, $6)
  on conflict (sms_log_id, raw_status) do nothing`

// Forward only: under concurrent receipts PostgreSQL re-checks the status condition on the row it waited for.
const MOVE_STATUS = `update sms_log set status = $2, updated_at = $3,
    delivered_at = coalesce($4, delivered_at), failed_at = coalesce($5, failed_at),
    error_code = coalesce($6, error_code)
  where id = $1 and status = any($7::text[])`

// Only a receipt that states the row's status (after its move) may set the price: a late `sent` report must
// not restore the fee a refunded `expired` one cleared.
const SET_REPORTED_COST = `update sms_log set cost = $2, currency = $3, cost_usd = $4, price_source = 'provider',
    updated_at = $5
  where id = $1 and status = $6`

// The attempt's row is locked first: a receipt moving it (which holds the same lock until it commits, then
// settles the wait) is either seen here or sees the wait this inserts.
const WATCH = `with watched as (select status from sms_log where id = $6::text for update)
  insert into sms_deliveries (id, phone, code_id, channel, sealed, watched_log_id, next_step, attempts, state,
    due_at, claimed_until, expires_at, created_at, updated_at)
  select $1::text, $2::text, $3::text, $4::text,
    case when w.status = 'delivered' then null else $5::text end, $6::text, $7::integer, $8::integer,
    case when w.status = 'delivered' then 'delivered' else 'waiting' end,
    case when w.status in ('undelivered', 'failed') then $11::bigint else $9::bigint end,
    null, $10::bigint, $11::bigint, $11::bigint
  from (select 1) one left join watched w on true
  on conflict (id) do update set sealed = excluded.sealed, watched_log_id = excluded.watched_log_id,
    next_step = excluded.next_step, attempts = excluded.attempts, state = excluded.state,
    due_at = excluded.due_at, claimed_until = null, updated_at = excluded.updated_at
  where (sms_deliveries.state = 'sending' and sms_deliveries.watched_log_id <> excluded.watched_log_id)
    or (sms_deliveries.state = 'waiting' and sms_deliveries.watched_log_id = excluded.watched_log_id)`
const RECEIPT_DELIVERED = `update sms_deliveries set state = 'delivered', sealed = null, updated_at = $1
  where watched_log_id = $2 and state = 'waiting'`
const RECEIPT_UNDELIVERED = `update sms_deliveries set due_at = least(due_at, $1), updated_at = $1
  where watched_log_id = $2 and state = 'waiting'`
// SKIP LOCKED: instances sweeping at once each take other rows; a row another claimed meanwhile is re-checked
// against the condition and left out.
const CLAIM = `update sms_deliveries set state = 'sending', claimed_until = $2, updated_at = $1
  where id in (select id from sms_deliveries
    where (state = 'waiting' and due_at <= $1) or (state = 'sending' and claimed_until <= $1)
    order by due_at limit $3 for update skip locked)
  returning id, phone, code_id as "codeId", channel, sealed, next_step as "nextStep", attempts,
    expires_at as "expiresAt"`
const SETTLE = `update sms_deliveries set state = $2, sealed = null, claimed_until = null, updated_at = $3
  where id = $1 and state = 'sending'`

// The newest send found on the (phone, created_at) index, its attempts on the request_id one.
const LAST_SEND = `select provider, provider_message_id as "providerMessageId" from sms_log
  where request_id = (select request_id from sms_log where phone = $1 and created_at >= $2
      order by created_at desc limit 1)
    and provider_message_id is not null and status <> 'failed'
  order by attempt`

const STALE = `select id, provider, phone, provider_message_id as "providerMessageId", created_at as at
  from sms_log where created_at >= $1 and created_at < $2 and status = 'pending'
  order by created_at limit $3`

const RESOLVE = `update sms_log set status = $2, provider_message_id = coalesce($3, provider_message_id),
    sent_at = coalesce($4, sent_at), delivered_at = coalesce($5, delivered_at),
    failed_at = coalesce($6, failed_at), updated_at = $7
  where id = $1 and status = 'pending'`

/**
 * The SMS log in PostgreSQL. The three writes of every send are named statements (pg's `name`), parsed and
 * planned once per connection; they return no rows, so no migration can change their result type.
 */
export class PostgresSmsLogStore implements SmsLogStore {
  constructor(private readonly pool: Pool) {}

  async pending(a: PendingAttempt): Promise<void> {
    await this.pool.query({
      name: 'sms-log.pending',
      text: INSERT_PENDING,
      values: [
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
        a.channel ?? 'sms',
        a.fallback ?? null,
      ],
    })
  }

  async sent(a: SentAttempt): Promise<void> {
    await this.pool.query({
      name: 'sms-log.sent',
      text: UPDATE_SENT,
      values: [
        a.id,
        a.status,
        a.providerMessageId,
        a.at,
        a.durationMs,
        a.reported?.amount ?? null,
        a.reported?.currency ?? null,
        a.reported?.usd ?? null,
        a.reported ? 'provider' : null,
      ],
    })
  }

  async failed(a: FailedAttempt): Promise<void> {
    await this.pool.query({
      name: 'sms-log.failed',
      text: UPDATE_FAILED,
      values: [a.id, a.errorCode, a.errorMessage, a.at, a.durationMs, a.billed ? null : 0],
    })
  }

  applyReceipt(r: ReceiptRecord): Promise<ReceiptResult> {
    return inTransaction(this.pool, async (client): Promise<ReceiptResult> => {
      const found = await client.query<{ id: string }>(FIND, [
        r.provider,
        r.logId || null,
        r.providerMessageId || null,
      ])
      const id = found.rows[0]?.id
      if (id === undefined) return 'unknown_message'
      const inserted = await client.query(INSERT_RECEIPT, [
        id,
        r.provider,
        r.rawStatus,
        r.status,
        r.errorCode,
        r.at,
      ])
      const { deliveredAt, failedAt, errorCode } = receiptColumns(r)
      const moved = await client.query(MOVE_STATUS, [
        id,
        r.status,
        r.at,
        deliveredAt,
        failedAt,
        errorCode,
        statusesBefore(r.status),
      ])
      if (r.reported)
        await client.query(SET_REPORTED_COST, [
          id,
          r.reported.amount,
          r.reported.currency,
          r.reported.usd,
          r.at,
          r.status,
        ])
      if ((moved.rowCount ?? 0) > 0 && r.status === 'delivered')
        await client.query(RECEIPT_DELIVERED, [r.at, id])
      else if ((moved.rowCount ?? 0) > 0 && (r.status === 'undelivered' || r.status === 'failed'))
        await client.query(RECEIPT_UNDELIVERED, [r.at, id])
      return (inserted.rowCount ?? 0) > 0 || (moved.rowCount ?? 0) > 0 ? 'updated' : 'unchanged'
    })
  }

  async stale(since: number, before: number, limit: number): Promise<StaleAttempt[]> {
    const found = await this.pool.query<StaleAttempt>(STALE, [since, before, limit])
    // BIGINT arrives as text unless the pool parses it; times are numbers everywhere else.
    return found.rows.map((r) => ({ ...r, at: Number(r.at) }))
  }

  async lastSend(phone: string, since: number): Promise<AcceptedMessage[]> {
    return (await this.pool.query<AcceptedMessage>(LAST_SEND, [phone, since])).rows
  }

  async watch(w: DeliveryWatch): Promise<void> {
    await this.pool.query(WATCH, [
      w.id,
      w.phone,
      w.codeId,
      w.channel,
      w.sealed,
      w.watchedLogId,
      w.nextStep,
      w.attempts,
      w.dueAt,
      w.expiresAt,
      w.at,
    ])
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]> {
    const found = await this.pool.query<DueDelivery>(CLAIM, [now, now + leaseMs, limit])
    return found.rows.map((r) => ({ ...r, expiresAt: Number(r.expiresAt) }))
  }

  async settle(id: string, state: 'fell_back' | 'expired' | 'failed', at: number): Promise<void> {
    await this.pool.query(SETTLE, [id, state, at])
  }

  async resolve(r: Resolution): Promise<boolean> {
    const { sentAt, deliveredAt, failedAt } = resolutionColumns(r)
    const done = await this.pool.query(RESOLVE, [
      r.id,
      r.status,
      r.providerMessageId,
      sentAt,
      deliveredAt,
      failedAt,
      r.at,
    ])
    return (done.rowCount ?? 0) > 0
  }
}
