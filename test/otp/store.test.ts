import assert from 'node:assert/strict'
import test from 'node:test'
import { hmac } from '../../src/crypto.js'
import { migrate, openDatabase } from '../../src/db/index.js'
import { type OtpStore, SqlOtpStore } from '../../src/otp/store.js'
import { costColumns, smsLogWrites } from '../../src/sms/log-writes.js'
import { BACKENDS, buildTestApp, testConfig } from '../helpers.js'

// Checking a code is one step in every store (one Lua script in Redis): the attempt is counted, the hashes
// compared, and a right code deleted or, on the last wrong attempt, the hash destroyed.
for (const backend of BACKENDS) {
  test(`[${backend.name}] a check counts, compares, and takes or burns the code in one step`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const { store } = ta.app.otp as unknown as { store: OtpStore }
    const phone = '+998901234567'
    const hash = hmac(Buffer.alloc(32, 1), `${phone}:123456`)
    const other = hmac(Buffer.alloc(32, 1), `${phone}:123457`)
    const save = (id: string) => store.save(phone, { id, hash, expiresAt: Date.now() + 60_000 })
    const check = (h: string) => store.check(phone, h, 4, Date.now())

    await save('a')
    // Hashes that share all but their last character, or all of the stored one, are not equal.
    const lastDiffers = hash.slice(0, -1) + (hash.endsWith('A') ? 'B' : 'A')
    assert.deepEqual(await check(lastDiffers), { kind: 'wrong', attemptsLeft: 3 })
    assert.deepEqual(await check(`${hash}A`), { kind: 'wrong', attemptsLeft: 2 })
    assert.deepEqual(await check(''), { kind: 'wrong', attemptsLeft: 1 })
    assert.deepEqual(await check(other), { kind: 'wrong', attemptsLeft: 0 })
    assert.deepEqual(await check(hash), { kind: 'exhausted' }, 'burnt: the right code no longer works')

    await save('b')
    assert.deepEqual(await check(other), { kind: 'wrong', attemptsLeft: 3 })
    assert.deepEqual(await check(hash), { kind: 'right' })
    assert.deepEqual(await check(hash), { kind: 'none' }, 'a right code is taken')

    await save('c')
    const all = (await Promise.all(Array.from({ length: 10 }, () => check(hash)))).map((r) => r.kind)
    assert.equal(
      all.filter((k) => k === 'right').length,
      1,
      'of ten concurrent right guesses one gets the code',
    )
    // The others find it gone or, on PostgreSQL where an attempt and the delete are two statements, its
    // attempts used up by guesses that came before the delete.
    assert.ok(
      all.every((k) => ['right', 'none', 'exhausted'].includes(k)),
      String(all),
    )

    await save('d')
    assert.equal(await store.take(phone, 'c'), false, 'take removes only its own code')
    assert.equal(await store.take(phone, 'd'), true)
    assert.deepEqual(await check(hash), { kind: 'none' })
  })
}

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
  const wrong = store.check(phone, 'x', 3, Date.now())
  assert.equal(read('select attempts from otp_codes')?.attempts, 1)
  assert.deepEqual(await wrong, { kind: 'wrong', attemptsLeft: 2 })
  const right = store.check(phone, 'h', 3, Date.now())
  assert.equal(read('select count(*) as n from otp_codes')?.n, 0)
  assert.deepEqual(await right, { kind: 'right' })
  assert.deepEqual(await store.check(phone, 'h', 3, Date.now()), { kind: 'none' }, 'taken once')
  await store.save(phone, { id: 'code-2', hash: 'h', expiresAt: Date.now() + 60_000 })
  const taken = store.take(phone, 'code-2')
  assert.equal(read('select count(*) as n from otp_codes')?.n, 0)
  assert.equal(await taken, true)

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
