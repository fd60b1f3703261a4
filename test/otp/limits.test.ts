import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { utcDay } from '../../src/abuse/guard.js'
import { BACKENDS, buildTestApp, post, tablesOf } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const PHONES = ['+998901234567', '+998911234567', '+998931234567']

for (const backend of BACKENDS.filter((b) => b.name !== 'redis')) {
  const opts = { skip: backend.skip }

  test(
    `[${backend.name}] a number's counters are rows of one table, keyed by the number first`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const db = ta.app.storage.db.db
      for (const phone of PHONES) assert.equal((await post(ta.app, SEND, { phone })).statusCode, 200)
      const wrong = await post(ta.app, '/api/v1/auth/verify-otp', { phone: PHONES[0], code: '000000' })
      assert.equal(wrong.statusCode, 400)
      const rows = await sql<{ key: string; points: number }>`
      select key, points from rate_limit_number order by key`.execute(db)
      const [first] = PHONES as [string]
      assert.deepEqual(
        rows.rows.filter((r) => r.key.startsWith(first)).map((r) => [r.key, Number(r.points)]),
        [
          // The wrong guesses are counted per UTC day.
          [`${first}:${utcDay()}:otp_verify_failed`, 1],
          [`${first}:otp_number_day`, 1],
          [`${first}:otp_number_hour`, 1],
          [`${first}:otp_resend`, 1],
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
      await sql`update ${numbers} set expire = ${now - 1} where key = ${`${PHONES[0]}:otp_number_hour`}`.execute(
        db,
      )
      const day = (n: string, expire: number | null) =>
        sql`insert into ${numbers} (key, points, expire) values (${`${n}:otp_number_day`}, 1, ${expire})`.execute(
          db,
        )
      for (let i = 0; i < 25; i++) await day(`+99890000${i}`, now - 1000 * i)
      await day('+998950000000', null)
      await day('+998950000001', now + 60_000)
      const keys = async (like: string, table = numbers) =>
        (
          await sql<{ key: string }>`select key from ${table} where key like ${like} order by key`.execute(db)
        ).rows.map((r) => r.key.split(':')[0])

      assert.equal(await ta.app.limits.sweep(now, 4), 26)
      assert.deepEqual(await keys('%:otp_number_hour'), PHONES.slice(1))
      assert.deepEqual(await keys('%:otp_number_day'), [...PHONES, '+998950000000', '+998950000001'])
      assert.deepEqual(await keys('%:otp_resend'), PHONES, 'the cooldowns are live')
      assert.equal((await keys('%', sql.table('rate_limit_otp_ip'))).length, 1, 'the per-IP window is live')
      assert.equal(await ta.app.limits.sweep(now, 4), 0)
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
  assert.equal(await ta.app.limits.sweep(Date.now()), 0)
})
