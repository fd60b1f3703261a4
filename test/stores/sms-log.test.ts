import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { PendingAttempt, ReceiptRecord } from '../../src/stores/sms-log/index.js'
import { ENGINES, type EngineStores } from './engines.js'

const T0 = 1_700_000_000_000

function pendingAttempt(id: string, overrides: Partial<PendingAttempt> = {}): PendingAttempt {
  return {
    id,
    requestId: `req-${id}`,
    attempt: 1,
    phone: '+998901234567',
    country: 'UZ',
    // Quotes and a backslash travel unharmed.
    operator: `O'z "Mobile"\\`,
    provider: 'eskiz',
    segments: 2,
    encoding: 'UCS-2',
    estimate: { amount: 180, currency: 'UZS', usd: 0.0142 },
    at: T0,
    ...overrides,
  }
}

function receipt(logId: string, rawStatus: string, status: ReceiptRecord['status']): ReceiptRecord {
  return { provider: 'eskiz', logId, rawStatus, status, errorCode: null, reported: null, at: T0 + 1000 }
}

const row = (e: EngineStores, id: string) =>
  e.database.db.selectFrom('sms_log').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const receipts = (e: EngineStores) =>
  e.database.db.selectFrom('sms_receipts').selectAll().orderBy('id').execute()

// The SMS log lives in the SQL database on every deployment: the Redis engine would only repeat SQLite.
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('pending then sent: every column written, the estimate kept or replaced by a reported price', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('a'))
      await log.pending(
        pendingAttempt('b', { operator: null, estimate: null, provider: 'twilio', attempt: 2 }),
      )
      assert.deepEqual(
        { ...(await row(e, 'a')) },
        {
          id: 'a',
          request_id: 'req-a',
          attempt: 1,
          phone: '+998901234567',
          country: 'UZ',
          operator: `O'z "Mobile"\\`,
          provider: 'eskiz',
          provider_message_id: null,
          status: 'pending',
          error_code: null,
          error_message: null,
          segments: 2,
          encoding: 'UCS-2',
          cost: 180,
          currency: 'UZS',
          cost_usd: 0.0142,
          price_source: 'estimate',
          duration_ms: null,
          sent_at: null,
          delivered_at: null,
          failed_at: null,
          created_at: T0,
          updated_at: T0,
          channel: 'sms',
          fallback: null,
        },
      )
      await log.sent({
        id: 'a',
        status: 'queued',
        providerMessageId: 'm-a',
        at: T0 + 250,
        durationMs: 250,
        reported: null,
      })
      const reported = { amount: 0.0079, currency: 'USD', usd: 0.0079 }
      await log.sent({
        id: 'b',
        status: 'sent',
        providerMessageId: null,
        at: T0 + 90,
        durationMs: 90,
        reported,
      })
      const a = await row(e, 'a')
      assert.deepEqual(
        [a.status, a.provider_message_id, a.sent_at, a.duration_ms, a.updated_at],
        ['queued', 'm-a', T0 + 250, 250, T0 + 250],
      )
      assert.deepEqual([a.cost, a.currency, a.cost_usd, a.price_source], [180, 'UZS', 0.0142, 'estimate'])
      const b = await row(e, 'b')
      assert.deepEqual([b.status, b.provider_message_id, b.operator], ['sent', null, null])
      assert.deepEqual([b.cost, b.currency, b.cost_usd, b.price_source], [0.0079, 'USD', 0.0079, 'provider'])
    })

    test('a late "sent" does not move back a row a receipt has already moved on', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('a'))
      assert.equal(await log.applyReceipt(receipt('a', 'DELIVRD', 'delivered')), 'updated')
      await log.sent({
        id: 'a',
        status: 'queued',
        providerMessageId: 'm-a',
        at: T0 + 2000,
        durationMs: 2000,
        reported: null,
      })
      const a = await row(e, 'a')
      assert.deepEqual(
        [a.status, a.delivered_at, a.sent_at, a.provider_message_id],
        ['delivered', T0 + 1000, null, null],
      )
    })

    test('failed: a refusal costs nothing; after a timeout the estimate stays', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('refused'))
      await log.pending(pendingAttempt('timeout'))
      await log.pending(pendingAttempt('unpriced', { estimate: null }))
      const failure = { errorCode: 'unavailable', errorMessage: 'No answer', at: T0 + 300, durationMs: 300 }
      await log.failed({ id: 'refused', ...failure, errorCode: 'invalid_recipient', billed: false })
      await log.failed({ id: 'timeout', ...failure, billed: true })
      await log.failed({ id: 'unpriced', ...failure, billed: false })
      const refused = await row(e, 'refused')
      assert.deepEqual(
        [refused.status, refused.error_code, refused.error_message, refused.failed_at, refused.duration_ms],
        ['failed', 'invalid_recipient', 'No answer', T0 + 300, 300],
      )
      assert.deepEqual([refused.cost, refused.cost_usd, refused.currency], [0, 0, 'UZS'])
      const timeout = await row(e, 'timeout')
      assert.deepEqual([timeout.status, timeout.cost, timeout.cost_usd], ['failed', 180, 0.0142])
      const unpriced = await row(e, 'unpriced')
      assert.deepEqual([unpriced.cost, unpriced.cost_usd, unpriced.currency], [0, 0, null])
    })

    test('receipts twice or out of order never move a message backwards; each raw status is kept once', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('a'))
      await log.sent({
        id: 'a',
        status: 'queued',
        providerMessageId: 'm-a',
        at: T0 + 10,
        durationMs: 10,
        reported: null,
      })
      assert.equal(await log.applyReceipt(receipt('a', 'ACCEPTED', 'sent')), 'updated')
      assert.equal((await row(e, 'a')).status, 'sent')
      assert.equal(
        await log.applyReceipt({ ...receipt('a', 'DELIVRD', 'delivered'), at: T0 + 5000 }),
        'updated',
      )
      assert.equal(
        await log.applyReceipt({ ...receipt('a', 'DELIVRD', 'delivered'), at: T0 + 6000 }),
        'unchanged',
      )
      // A new spelling is recorded, but moves nothing: delivered and undelivered rank alike.
      assert.equal(
        await log.applyReceipt({ ...receipt('a', 'UNDELIV', 'undelivered'), errorCode: '5' }),
        'updated',
      )
      assert.equal(await log.applyReceipt(receipt('a', 'NEW', 'queued')), 'updated')
      assert.equal(await log.applyReceipt(receipt('a', 'NEW', 'queued')), 'unchanged')
      const a = await row(e, 'a')
      assert.deepEqual(
        [a.status, a.delivered_at, a.failed_at, a.error_code, a.updated_at],
        ['delivered', T0 + 5000, null, null, T0 + 5000],
      )
      assert.deepEqual(
        (await receipts(e)).map((r) => [r.sms_log_id, r.provider, r.raw_status, r.status]),
        [
          ['a', 'eskiz', 'ACCEPTED', 'sent'],
          ['a', 'eskiz', 'DELIVRD', 'delivered'],
          ['a', 'eskiz', 'UNDELIV', 'undelivered'],
          ['a', 'eskiz', 'NEW', 'queued'],
        ],
      )
    })

    test('concurrent receipts for one message: it ends at the furthest status', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('a'))
      const statuses = [
        ['NEW', 'queued'],
        ['DELIVRD', 'delivered'],
        ['ACCEPTED', 'sent'],
        ['ENROUTE', 'sent'],
      ] as const
      const results = await Promise.all(
        statuses.map(([raw, status]) => log.applyReceipt(receipt('a', raw, status))),
      )
      assert.deepEqual(results, ['updated', 'updated', 'updated', 'updated'])
      assert.equal((await row(e, 'a')).status, 'delivered')
      assert.equal((await receipts(e)).length, 4)
    })

    test('a failure receipt keeps the gateway error code and time', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('a'))
      await log.applyReceipt({ ...receipt('a', 'NotDelivered', 'undelivered'), errorCode: '5' })
      const a = await row(e, 'a')
      assert.deepEqual(
        [a.status, a.error_code, a.failed_at, a.delivered_at],
        ['undelivered', '5', T0 + 1000, null],
      )
      const [stored] = await receipts(e)
      assert.deepEqual([stored?.error_code, stored?.received_at], ['5', T0 + 1000])
    })

    test("found by the provider's id, only among that provider's messages; unknown messages create nothing", async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('a', { provider: 'twilio' }))
      await log.sent({
        id: 'a',
        status: 'queued',
        providerMessageId: 'SM1',
        at: T0 + 10,
        durationMs: 10,
        reported: null,
      })
      const byProviderId = {
        provider: 'twilio',
        providerMessageId: 'SM1',
        rawStatus: 'sent',
        status: 'sent',
      } as const
      assert.equal(
        await log.applyReceipt({ ...byProviderId, errorCode: null, reported: null, at: T0 + 20 }),
        'updated',
      )
      assert.equal((await row(e, 'a')).status, 'sent')
      const unknown: ReceiptRecord[] = [
        {
          ...byProviderId,
          provider: 'eskiz',
          rawStatus: 'DELIVRD',
          status: 'delivered',
          errorCode: null,
          reported: null,
          at: T0,
        },
        { ...receipt('a', 'DELIVRD', 'delivered'), provider: 'eskiz' },
        receipt('no-such-message', 'DELIVRD', 'delivered'),
        {
          provider: 'twilio',
          rawStatus: 'delivered',
          status: 'delivered',
          errorCode: null,
          reported: null,
          at: T0,
        },
      ]
      for (const r of unknown) assert.equal(await log.applyReceipt(r), 'unknown_message')
      // Our id that does not match falls back to the gateway's.
      const fallback = {
        ...byProviderId,
        logId: 'other',
        rawStatus: 'delivered',
        status: 'delivered',
      } as const
      assert.equal(
        await log.applyReceipt({ ...fallback, errorCode: null, reported: null, at: T0 + 30 }),
        'updated',
      )
      assert.equal((await row(e, 'a')).status, 'delivered')
      assert.equal((await receipts(e)).length, 2)
    })

    test('a price a receipt reports replaces the estimate, even on a repeated receipt', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await log.pending(pendingAttempt('a'))
      await log.applyReceipt(receipt('a', 'DELIVRD', 'delivered'))
      const reported = { amount: 85, currency: 'UZS', usd: 0.0067 }
      assert.equal(
        await log.applyReceipt({ ...receipt('a', 'DELIVRD', 'delivered'), reported, at: T0 + 9000 }),
        'unchanged',
      )
      const a = await row(e, 'a')
      assert.deepEqual(
        [a.cost, a.currency, a.cost_usd, a.price_source, a.updated_at, a.status],
        [85, 'UZS', 0.0067, 'provider', T0 + 9000, 'delivered'],
      )
    })

    test('lastSend: the accepted messages of the newest send to a number within the window', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      const answer = (id: string, providerMessageId: string) =>
        log.sent({ id, status: 'sent', providerMessageId, at: T0 + 50, durationMs: 5, reported: null })
      // An older send, then the newest: Telegram, its fallback SMS, and an attempt the gateway refused.
      await log.pending(pendingAttempt('old', { requestId: 'r1', provider: 'telegram', at: T0 }))
      await answer('old', 'tg-old')
      await log.pending(pendingAttempt('tg', { requestId: 'r2', provider: 'telegram', at: T0 + 10 }))
      await answer('tg', 'tg-new')
      await log.pending(pendingAttempt('refused', { requestId: 'r2', attempt: 2, at: T0 + 11 }))
      await log.failed({
        id: 'refused',
        errorCode: 'unavailable',
        errorMessage: 'down',
        at: T0 + 12,
        durationMs: 1,
        billed: false,
      })
      await log.pending(pendingAttempt('sms', { requestId: 'r2', attempt: 3, provider: 'http', at: T0 + 13 }))
      await answer('sms', 'gw-1')
      // Another number's send, newer still, is not this number's.
      await log.pending(pendingAttempt('other', { requestId: 'r3', phone: '+998907654321', at: T0 + 20 }))

      assert.deepEqual(await log.lastSend('+998901234567', T0), [
        { provider: 'telegram', providerMessageId: 'tg-new' },
        { provider: 'http', providerMessageId: 'gw-1' },
      ])
      assert.deepEqual(await log.lastSend('+998901234567', T0 + 14), [], 'none within the window')
      assert.deepEqual(await log.lastSend('+998900000000', T0), [])
    })
  })
