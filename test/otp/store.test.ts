import assert from 'node:assert/strict'
import test from 'node:test'
import { migrate, openDatabase } from '../../src/db/index.js'
import { SqlOtpStore } from '../../src/otp/store.js'
import { costColumns, smsLogWrites } from '../../src/sms/log-writes.js'
import { testConfig } from '../helpers.js'

// On SQLite the hot paths' statements run at once on the connection, not after Kysely's promise chain: a
// few microseconds and a kilobyte of garbage less per query (docs/SCALING.md). Seen from outside: the write
// is there before the call's promise has been awaited.
test('[sqlite] the code store and the SMS log write at once on the embedded connection', async (t) => {
  const handle = openDatabase(testConfig().database, { groupCommit: true })
  t.after(() => handle.close())
  if (handle.kind !== 'sqlite') throw new Error('expected SQLite')
  await migrate(handle)
  const read = (sql: string) => handle.raw.prepare(sql).get() as Record<string, unknown> | undefined
  const phone = '+998901234567'
  const store = new SqlOtpStore(handle.db, handle.raw)

  const saved = store.save(phone, { id: 'code-1', hash: 'h', expiresAt: Date.now() + 60_000 })
  assert.equal(read('select count(*) as n from otp_codes')?.n, 1, 'saved before the promise is awaited')
  await saved
  const reserved = store.reserveAttempt(phone, 3, Date.now())
  assert.equal(read('select attempts from otp_codes')?.attempts, 1)
  assert.deepEqual(await reserved, { kind: 'reserved', id: 'code-1', hash: 'h', attempts: 1 })
  const taken = store.take(phone, 'code-1')
  assert.equal(read('select count(*) as n from otp_codes')?.n, 0)
  assert.equal(await taken, true)
  assert.equal(await store.take(phone, 'code-1'), false, 'taken once')
  assert.deepEqual(await store.reserveAttempt(phone, 3, Date.now()), { kind: 'none' })

  const log = smsLogWrites(handle)
  const pending = log.pending({
    id: 'log-1',
    requestId: 'req-1',
    attempt: 1,
    phone,
    country: 'UZ',
    operator: 'Beeline',
    provider: 'console',
    segments: 1,
    encoding: 'GSM-7',
    now: 1,
    ...costColumns(null, 'estimate'),
  })
  assert.equal(read('select status from sms_log')?.status, 'pending')
  await pending
  const sent = log.sent({
    id: 'log-1',
    status: 'sent',
    providerMessageId: 'm-1',
    at: 2,
    durationMs: 1,
    cost: null,
  })
  assert.equal(read('select status from sms_log')?.status, 'sent')
  await sent
})
