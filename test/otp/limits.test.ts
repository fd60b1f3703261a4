import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { BACKENDS, buildTestApp, post } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] the sweep removes the rows of ended limit windows, in chunks, and only those`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const db = ta.app.storage.db.db
    for (const phone of ['+998901234567', '+998911234567', '+998931234567'])
      assert.equal((await post(ta.app, SEND, { phone })).statusCode, 200)
    const now = Date.now()
    const hour = sql.table('rate_limit_otp_number_hour')
    const day = sql.table('rate_limit_otp_number_day')
    // One live window ended, and more ended ones than a few chunks hold, between live rows.
    await sql`update ${hour} set expire = ${now - 1} where key = '+998901234567'`.execute(db)
    for (let i = 0; i < 25; i++)
      await sql`insert into ${day} (key, points, expire) values (${`+99890000${i}`}, 1, ${now - 1000 * i})`.execute(
        db,
      )
    await sql`insert into ${day} (key, points, expire) values ('+998950000000', 1, null)`.execute(db)
    await sql`insert into ${day} (key, points, expire) values ('+998950000001', 1, ${now + 60_000})`.execute(
      db,
    )
    const keys = async (table: typeof hour) =>
      (await sql<{ key: string }>`select key from ${table} order by key`.execute(db)).rows.map((r) => r.key)

    assert.equal(await ta.app.limits.sweep(now, 4), 26)
    assert.deepEqual(await keys(hour), ['+998911234567', '+998931234567'])
    assert.deepEqual(await keys(day), [
      '+998901234567',
      '+998911234567',
      '+998931234567',
      '+998950000000',
      '+998950000001',
    ])
    assert.equal((await keys(sql.table('rate_limit_otp_ip'))).length, 1, 'the per-IP window is live')
    assert.equal(await ta.app.limits.sweep(now, 4), 0)
  })

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
