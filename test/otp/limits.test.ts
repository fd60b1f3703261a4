import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { utcDay } from '../../src/abuse/days.js'
import { BACKENDS, buildTestApp, post, tablesOf } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const PHONES = ['+998901234567', '+998911234567', '+998931234567']

for (const backend of BACKENDS.filter((b) => b.name !== 'redis')) {
  const opts = { skip: backend.skip }

  test(
    `[${backend.name}] a number's counters are rows of one table, keyed by the limit, then the number`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const db = ta.app.storage.db.db
      for (const phone of PHONES) assert.equal((await post(ta.app, SEND, { phone })).statusCode, 200)
      const wrong = await post(ta.app, '/api/v1/auth/verify-otp', { phone: PHONES[0], code: '000000' })
      assert.equal(wrong.statusCode, 400)
      const rows = await sql<{ key: string; points: number }>`
      select key, points from rate_limit_number`.execute(db)
      const [first] = PHONES as [string]
      assert.deepEqual(
        rows.rows
          .filter((r) => r.key.includes(first))
          .map((r) => [r.key, Number(r.points)])
          .sort(),
        [
          [`otp_number_day:${first}`, 1],
          [`otp_number_hour:${first}`, 1],
          [`otp_resend:${first}`, 1],
          // The wrong guesses are counted per UTC day.
          [`otp_verify_failed:${first}:${utcDay()}`, 1],
        ],
      )
      assert.equal(rows.rows.length, 3 * 3 + 1)
      const tables = await tablesOf(ta.app.storage.db)
      for (const gone of ['otp_resend', 'otp_number_hour', 'otp_number_day', 'otp_verify_failed'])
        assert.ok(!tables.includes(`rate_limit_${gone}`), gone)
      // Still one limit each: the cooldown holds the number back, the others are not touched by it.
      assert.equal((await post(ta.app, SEND, { phone: first })).json().code, 'OTP_RESEND_COOLDOWN')
    },
  )

  test(
    `[${backend.name}] the sweep removes the rows of ended limit windows, in chunks, and only those`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const db = ta.app.storage.db.db
      for (const phone of PHONES) assert.equal((await post(ta.app, SEND, { phone })).statusCode, 200)
      const now = Date.now()
      const numbers = sql.table('rate_limit_number')
      // One live window ended, and more ended ones than a few chunks hold, between live rows.
      await sql`update ${numbers} set expire = ${now - 1} where key = ${`otp_number_hour:${PHONES[0]}`}`.execute(
        db,
      )
      const day = (n: string, expire: number | null) =>
        sql`insert into ${numbers} (key, points, expire) values (${`otp_number_day:${n}`}, 1, ${expire})`.execute(
          db,
        )
      for (let i = 0; i < 25; i++) await day(`+99890000${i}`, now - 1000 * i)
      await day('+998950000000', null)
      await day('+998950000001', now + 60_000)
      /** The numbers (or addresses) counted by a limit, sorted. */
      const keys = async (limit: string, table = numbers) =>
        (await sql<{ key: string }>`select key from ${table}`.execute(db)).rows
          .filter((r) => table !== numbers || r.key.startsWith(`${limit}:`))
          .map((r) => r.key.split(':').at(table === numbers ? 1 : 0))
          .sort()

      const limits = ta.app.stores.limits
      assert.equal(await limits.sweep(now, 4), 26)
      assert.deepEqual(await keys('otp_number_hour'), PHONES.slice(1))
      assert.deepEqual(await keys('otp_number_day'), [...PHONES, '+998950000000', '+998950000001'])
      assert.deepEqual(await keys('otp_resend'), PHONES, 'the cooldowns are live')
      assert.equal((await keys('', sql.table('rate_limit_otp_ip'))).length, 1, 'the per-IP window is live')
      assert.equal(await limits.sweep(now, 4), 0)
    },
  )
}

test('[redis] the sweep leaves limits to Redis, whose keys expire by themselves', {
  skip: BACKENDS.find((b) => b.name === 'redis')?.skip,
}, async (t) => {
  const backend = BACKENDS.find((b) => b.name === 'redis')
  assert.ok(backend)
  const ta = await buildTestApp(t, { env: await backend.env(t) })
  assert.equal((await post(ta.app, SEND, { phone: '+998901234567' })).statusCode, 200)
  const redis = ta.app.storage.redis
  assert.ok(redis)
  const keys = await redis.keys(`${ta.app.config.redis?.keyPrefix}limit:otp_number_hour:*`)
  assert.equal(keys.length, 1)
  assert.ok((await redis.pttl(keys[0] as string)) > 0, 'the key carries its expiry')
  assert.equal(await ta.app.stores.limits.sweep(Date.now()), 0)
})
