import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DeliveryWatch, ReceiptRecord, SmsLogStore } from '../../src/stores/sms-log/index.js'
import { ENGINES, type EngineStores } from './engines.js'

// The waits for delivery reports (migration 009), on every SQL engine: armed in step with what the attempt's
// row already says, settled by receipts in the same transaction, claimed by one sweeper at a time.

const T0 = 1_700_000_000_000

async function attempt(log: SmsLogStore, id: string) {
  await log.pending({
    id,
    requestId: `req-${id}`,
    attempt: 1,
    phone: '+998901234567',
    country: 'UZ',
    operator: null,
    provider: 'telegram',
    channel: 'telegram',
    segments: 1,
    encoding: null,
    estimate: null,
    at: T0,
  })
  await log.sent({ id, status: 'sent', providerMessageId: `tg-${id}`, at: T0, durationMs: 5, reported: null })
}

const watch = (id: string, overrides: Partial<DeliveryWatch> = {}): DeliveryWatch => ({
  id: `req-${id}`,
  phone: '+998901234567',
  codeId: 'code-1',
  channel: null,
  sealed: 'sealed-code',
  watchedLogId: id,
  nextStep: 1,
  attempts: 1,
  dueAt: T0 + 12_000,
  expiresAt: T0 + 300_000,
  at: T0,
  ...overrides,
})

const receipt = (logId: string, rawStatus: string, status: ReceiptRecord['status'], at = T0 + 1000) => ({
  provider: 'telegram',
  logId,
  rawStatus,
  status,
  errorCode: null,
  reported: null,
  at,
})

const waitOf = (e: EngineStores, id: string) =>
  e.database.db
    .selectFrom('sms_deliveries')
    .selectAll()
    .where('id', '=', `req-${id}`)
    .executeTakeFirstOrThrow()

for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('a due wait is claimed once; settling erases the seal', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await attempt(log, 'a')
      await log.watch(watch('a'))
      assert.deepEqual(await log.claimDue(T0 + 11_999, 60_000, 10), [])
      const claims = await Promise.all([
        log.claimDue(T0 + 12_000, 60_000, 10),
        log.claimDue(T0 + 12_000, 60_000, 10),
      ])
      assert.deepEqual(
        claims.flat().map((d) => ({ ...d })),
        [
          {
            id: 'req-a',
            phone: '+998901234567',
            codeId: 'code-1',
            channel: null,
            sealed: 'sealed-code',
            nextStep: 1,
            attempts: 1,
            expiresAt: T0 + 300_000,
          },
        ],
      )
      // The claimer's lease holds the row; once it lapses another sweep may take it over.
      assert.deepEqual(await log.claimDue(T0 + 71_999, 60_000, 10), [])
      assert.equal((await log.claimDue(T0 + 72_000, 60_000, 10)).length, 1)
      await log.settle('req-a', 'fell_back', T0 + 73_000)
      const row = await waitOf(e, 'a')
      assert.deepEqual([row.state, row.sealed, row.claimed_until], ['fell_back', null, null])
      assert.deepEqual(await log.claimDue(T0 + 999_999, 60_000, 10), [])
    })

    test('receipts: delivered ends a wait, undelivered makes it due now; a late one changes nothing', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      for (const id of ['d', 'u', 'l']) {
        await attempt(log, id)
        await log.watch(watch(id))
      }
      await log.applyReceipt(receipt('d', 'delivered', 'delivered'))
      assert.deepEqual([(await waitOf(e, 'd')).state, (await waitOf(e, 'd')).sealed], ['delivered', null])
      await log.applyReceipt(receipt('u', 'expired', 'undelivered', T0 + 2000))
      assert.equal(Number((await waitOf(e, 'u')).due_at), T0 + 2000)
      assert.deepEqual(
        (await log.claimDue(T0 + 2000, 60_000, 10)).map((d) => d.id),
        ['req-u'],
      )
      // Claimed for a fallback: a delivered report now is recorded on the attempt only.
      assert.equal((await log.claimDue(T0 + 12_000, 60_000, 10)).length, 1)
      await log.applyReceipt(receipt('l', 'delivered', 'delivered'))
      assert.equal((await waitOf(e, 'l')).state, 'sending')
    })

    test('a report that came before the wait was armed decides it', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      await attempt(log, 'early')
      await log.applyReceipt(receipt('early', 'delivered', 'delivered'))
      await log.watch(watch('early'))
      const early = await waitOf(e, 'early')
      assert.deepEqual([early.state, early.sealed], ['delivered', null])
      await attempt(log, 'missed')
      await log.applyReceipt(receipt('missed', 'expired', 'undelivered'))
      await log.watch(watch('missed'))
      assert.equal(Number((await waitOf(e, 'missed')).due_at), T0)
    })

    test('a wait armed before the gateway answers: re-armed by its own attempt or its claimer, erased with a refusal', async (t) => {
      const e = await engine.open(t)
      const log = e.stores.smsLog
      const row = async () =>
        await e.database.db
          .selectFrom('sms_deliveries')
          .selectAll()
          .where('id', '=', 'req-p')
          .executeTakeFirst()
      // Armed while the attempt is still `pending`, then moved closer once the gateway accepted it.
      await attempt(log, 'p')
      await log.watch(watch('p', { id: 'req-p', dueAt: T0 + 50_000 }))
      await log.watch(watch('p', { id: 'req-p', dueAt: T0 + 12_000 }))
      assert.deepEqual([(await row())?.state, Number((await row())?.due_at)], ['waiting', T0 + 12_000])
      // Claimed by a sweep: the attempt's late answer does not take the row back from its claimer...
      assert.equal((await log.claimDue(T0 + 12_000, 60_000, 10)).length, 1)
      await log.watch(watch('p', { id: 'req-p', dueAt: T0 + 99_000 }))
      assert.equal((await row())?.state, 'sending')
      // ...but the claimer's own next attempt re-arms it, and its refusal erases the wait.
      await log.watch(watch('p2', { id: 'req-p', nextStep: 2, attempts: 2, dueAt: T0 + 50_000 }))
      assert.deepEqual([(await row())?.state, (await row())?.watched_log_id], ['waiting', 'p2'])
      await log.failed({ id: 'p', errorCode: 'x', errorMessage: 'x', at: T0, durationMs: 1, billed: false })
      assert.equal((await row())?.state, 'waiting', 'only the watched attempt erases its wait')
      await log.failed({ id: 'p2', errorCode: 'x', errorMessage: 'x', at: T0, durationMs: 1, billed: false })
      assert.equal(await row(), undefined)
      // A wait that ended is never revived by a late answer.
      await attempt(log, 'q')
      await log.watch(watch('q'))
      assert.equal((await log.claimDue(T0 + 12_000, 60_000, 10)).length, 1)
      await log.settle('req-q', 'fell_back', T0 + 13_000)
      await log.watch(watch('q', { dueAt: T0 + 99_000 }))
      assert.deepEqual([(await waitOf(e, 'q')).state, (await waitOf(e, 'q')).sealed], ['fell_back', null])
    })
  })
