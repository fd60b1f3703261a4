import assert from 'node:assert/strict'
import test from 'node:test'
import type { PoolClient } from 'pg'
import { type DatabaseHandle, migrate, openDatabase } from '../../src/db/index.js'
import {
  costColumns,
  type PendingRow,
  rowWrites,
  type SmsLogWrites,
  smsLogWrites,
} from '../../src/sms/log-writes.js'
import { BACKENDS, type Backend, testConfig } from '../helpers.js'

function pendingRow(i: number): PendingRow {
  return {
    id: `log-${String(i).padStart(2, '0')}`,
    requestId: `req-${i}`,
    attempt: 1 + (i % 2),
    phone: `+99890${String(1000000 + i)}`,
    country: 'UZ',
    // Quotes, commas, braces and a backslash travel inside PostgreSQL's array literals unharmed.
    operator: i % 3 === 0 ? null : i === 1 ? `O'z "Mobile", {NULL}\\` : 'Beeline',
    provider: i % 2 ? 'eskiz' : 'twilio',
    segments: 1 + (i % 3),
    encoding: i % 2 ? 'UCS-2' : 'GSM-7',
    now: 1_700_000_000_000 + i,
    ...costColumns(i % 4 === 0 ? null : { amount: 100 + i, currency: 'UZS', usd: 0.01 * i }, 'estimate'),
  }
}

const sqlite = BACKENDS.find((b) => b.name === 'sqlite') as Backend
const postgres = BACKENDS.find((b) => b.name === 'postgres') as Backend
const variants: [string, Backend, (handle: DatabaseHandle) => SmsLogWrites][] = [
  ['sqlite', sqlite, smsLogWrites],
  ['sqlite through Kysely (SmsSender without logWrites)', sqlite, (handle) => rowWrites(handle.db)],
  ['postgres', postgres, smsLogWrites],
]

for (const [name, backend, writesFor] of variants) {
  test(`[${name}] the SMS log's writes of concurrent sends: every column, priced or not, a receipt's status kept`, {
    skip: backend.skip,
  }, async (t) => {
    const config = testConfig(await backend.env(t))
    const handle = openDatabase(config.database, { groupCommit: true })
    t.after(() => handle.close())
    // Statements that reach PostgreSQL, counted per connection as the pool opens them.
    const statements: string[] = []
    let counting = false
    if (handle.kind === 'postgres')
      handle.raw.on('connect', (client: PoolClient) => {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown
        ;(client as { query: unknown }).query = (...args: unknown[]) => {
          const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text
          if (counting && /sms_log/.test(text)) statements.push(text.trim().split(/\s+/)[0] as string)
          return query(...args)
        }
      })
    await migrate(handle)
    const writes = writesFor(handle)

    const rows = Array.from({ length: 20 }, (_, i) => pendingRow(i))
    counting = true
    await Promise.all(rows.map((r) => writes.pending(r)))
    counting = false
    // A receipt moved one row on before its send was recorded: the late "sent" must not undo it.
    await handle.db.updateTable('sms_log').set({ status: 'delivered' }).where('id', '=', 'log-05').execute()
    counting = true
    await Promise.all(
      rows.map((r, i) =>
        writes.sent({
          id: r.id,
          status: i % 2 ? 'queued' : 'sent',
          providerMessageId: i % 5 === 0 ? null : `msg-${i}`,
          at: r.now + 250,
          durationMs: 250,
          cost:
            i % 3 === 1 ? costColumns({ amount: 0.0079, currency: 'USD', usd: 0.0079 }, 'provider') : null,
        }),
      ),
    )
    counting = false

    const stored = await handle.db.selectFrom('sms_log').selectAll().orderBy('id').execute()
    assert.equal(stored.length, 20)
    for (const [i, row] of stored.entries()) {
      const r = rows[i] as PendingRow
      const priced = i % 3 === 1
      const delivered = r.id === 'log-05'
      assert.deepEqual(
        {
          id: row.id,
          request_id: row.request_id,
          attempt: row.attempt,
          phone: row.phone,
          country: row.country,
          operator: row.operator,
          provider: row.provider,
          segments: row.segments,
          encoding: row.encoding,
          created_at: row.created_at,
          status: row.status,
          provider_message_id: row.provider_message_id,
          sent_at: row.sent_at,
          duration_ms: row.duration_ms,
          updated_at: row.updated_at,
          cost: row.cost,
          currency: row.currency,
          cost_usd: row.cost_usd,
          price_source: row.price_source,
        },
        {
          id: r.id,
          request_id: r.requestId,
          attempt: r.attempt,
          phone: r.phone,
          country: r.country,
          operator: r.operator,
          provider: r.provider,
          segments: r.segments,
          encoding: r.encoding,
          created_at: r.now,
          status: delivered ? 'delivered' : i % 2 ? 'queued' : 'sent',
          provider_message_id: delivered ? null : i % 5 === 0 ? null : `msg-${i}`,
          sent_at: delivered ? null : r.now + 250,
          duration_ms: delivered ? null : 250,
          updated_at: delivered ? r.now : r.now + 250,
          ...(priced && !delivered
            ? { cost: 0.0079, currency: 'USD', cost_usd: 0.0079, price_source: 'provider' }
            : { cost: r.cost, currency: r.currency, cost_usd: r.cost_usd, price_source: r.price_source }),
        },
        `row ${r.id}`,
      )
    }
    // PostgreSQL: the twenty sends of one turn cost one INSERT and one UPDATE, not twenty of each.
    if (handle.kind === 'postgres') assert.deepEqual(statements, ['insert', 'update'])
  })
}
