import { sql } from 'kysely'
import type { DatabaseHandle, Db } from '../db/index.js'
import { PreparedQuery, rawQuery } from '../db/prepared.js'
import type { PreparingDatabase } from '../db/statements.js'
import { type Columns, TurnBatch, toColumns } from '../db/turn-batch.js'
import type { Cost } from './pricing.js'
import type { SendResult } from './provider.js'

export type CostColumns = ReturnType<typeof costColumns>

export function costColumns(cost: Cost | null, source: 'estimate' | 'provider') {
  return cost
    ? { cost: cost.amount, currency: cost.currency, cost_usd: cost.usd, price_source: source }
    : { cost: null, currency: null, cost_usd: null, price_source: null }
}

/** An attempt's row, written `pending` before its gateway is called. */
export type PendingRow = {
  id: string
  requestId: string
  attempt: number
  phone: string
  country: string
  operator: string | null
  provider: string
  segments: number
  encoding: string
  now: number
} & CostColumns

/** The gateway accepted the attempt; `cost` is the price it reported, if it did (it replaces the estimate). */
export interface SentRow {
  id: string
  status: SendResult['status']
  providerMessageId: string | null
  at: number
  durationMs: number
  cost: CostColumns | null
}

/** The two SMS-log writes of every send. */
export interface SmsLogWrites {
  pending(row: PendingRow): Promise<void>
  sent(row: SentRow): Promise<void>
}

/**
 * The SMS log's writes on every send, compiled once (db/prepared.ts). On PostgreSQL the rows of one turn of
 * the event loop go with one statement each (db/turn-batch.ts). On SQLite each row is its own statement,
 * run at once on the connection (`PreparedQuery.runNow`), which the group commit already commits with the
 * turn's other writes.
 */
export function smsLogWrites(handle: DatabaseHandle): SmsLogWrites {
  return handle.kind === 'postgres' ? batchedWrites(handle.db) : rowWrites(handle.db, handle.raw)
}

/** One statement per row, through Kysely, or at once on `sqlite` when given. */
export function rowWrites(db: Db, sqlite: PreparingDatabase | null = null): SmsLogWrites {
  const pending = new PreparedQuery(db, (v: PendingRow) =>
    db.insertInto('sms_log').values({
      id: v.id,
      request_id: v.requestId,
      attempt: v.attempt,
      phone: v.phone,
      country: v.country,
      operator: v.operator,
      provider: v.provider,
      status: 'pending',
      segments: v.segments,
      encoding: v.encoding,
      cost: v.cost,
      currency: v.currency,
      cost_usd: v.cost_usd,
      price_source: v.price_source,
      created_at: v.now,
      updated_at: v.now,
    }),
  )
  type SentValues = Omit<SentRow, 'cost'> & Partial<CostColumns>
  const sent = (priced: boolean) =>
    new PreparedQuery(db, (v: SentValues) =>
      db
        .updateTable('sms_log')
        .set({
          status: v.status,
          provider_message_id: v.providerMessageId,
          sent_at: v.at,
          duration_ms: v.durationMs,
          updated_at: v.at,
          ...(priced
            ? { cost: v.cost, currency: v.currency, cost_usd: v.cost_usd, price_source: v.price_source }
            : {}),
        })
        .where('id', '=', v.id)
        // A receipt may already have moved the row on.
        .where('status', '=', 'pending'),
    )
  const sentPlain = sent(false)
  const sentPriced = sent(true)
  return {
    pending: async (row) => {
      if (sqlite) pending.runNow(row, sqlite)
      else await pending.execute(row)
    },
    sent: async ({ cost, ...row }) => {
      const query = cost ? sentPriced : sentPlain
      const values = cost ? { ...row, ...cost } : row
      if (sqlite) query.runNow(values, sqlite)
      else await query.execute(values)
    },
  }
}

/** The values of an outcome's UPDATE: SentRow with its reported cost flattened and flagged. */
type SentColumns = Omit<SentRow, 'cost'> & { priced: boolean } & CostColumns

/**
 * PostgreSQL: a turn's rows go as one array per column, which `unnest` turns back into rows. The SQL is the
 * same for any number of rows, so each statement is prepared once per connection.
 */
function batchedWrites(db: Db): SmsLogWrites {
  const insert = new PreparedQuery(db, (v: Columns<PendingRow>) =>
    rawQuery(
      db,
      sql`insert into sms_log (id, request_id, attempt, phone, country, operator, provider, status, segments,
            encoding, cost, currency, cost_usd, price_source, created_at, updated_at)
          select r.id, r.request_id, r.attempt, r.phone, r.country, r.operator, r.provider, 'pending', r.segments,
            r.encoding, r.cost, r.currency, r.cost_usd, r.price_source, r.now, r.now
          from unnest(${v.id}::text[], ${v.requestId}::text[], ${v.attempt}::integer[], ${v.phone}::text[],
            ${v.country}::text[], ${v.operator}::text[], ${v.provider}::text[], ${v.segments}::integer[],
            ${v.encoding}::text[], ${v.cost}::double precision[], ${v.currency}::text[],
            ${v.cost_usd}::double precision[], ${v.price_source}::text[], ${v.now}::bigint[])
            as r(id, request_id, attempt, phone, country, operator, provider, segments, encoding, cost,
              currency, cost_usd, price_source, now)`,
    ),
  )
  const update = new PreparedQuery(db, (v: Columns<SentColumns>) =>
    rawQuery(
      db,
      sql`update sms_log as s
          set status = r.status, provider_message_id = r.provider_message_id, sent_at = r.at,
            duration_ms = r.duration_ms, updated_at = r.at,
            cost = case when r.priced then r.cost else s.cost end,
            currency = case when r.priced then r.currency else s.currency end,
            cost_usd = case when r.priced then r.cost_usd else s.cost_usd end,
            price_source = case when r.priced then r.price_source else s.price_source end
          from unnest(${v.id}::text[], ${v.status}::text[], ${v.providerMessageId}::text[], ${v.at}::bigint[],
            ${v.durationMs}::integer[], ${v.priced}::boolean[], ${v.cost}::double precision[],
            ${v.currency}::text[], ${v.cost_usd}::double precision[], ${v.price_source}::text[])
            as r(id, status, provider_message_id, at, duration_ms, priced, cost, currency, cost_usd, price_source)
          -- A receipt may already have moved the row on.
          where s.id = r.id and s.status = 'pending'`,
    ),
  )
  const pending = new TurnBatch<PendingRow>(async (rows) => {
    await insert.execute(toColumns(rows))
    return []
  })
  const sent = new TurnBatch<SentRow>(async (rows) => {
    const flat = rows.map(
      ({ cost, ...row }): SentColumns => ({
        ...row,
        priced: cost !== null,
        ...(cost ?? costColumns(null, 'provider')),
      }),
    )
    await update.execute(toColumns(flat))
    return []
  })
  return { pending: (row) => pending.add(row), sent: (row) => sent.add(row) }
}
