import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sql } from 'kysely'
import { RateLimiterRes } from 'rate-limiter-flexible'
import { migrate, migrator } from '../../src/db/index.js'
import type { LimitSpec } from '../../src/stores/limits/index.js'
import { ENGINES } from './engines.js'

const PHONE = '+998901234567'
const OTHER = '+998911234567'
const hour = (name: string, points: number, perNumber = false): LimitSpec => ({
  name,
  points,
  durationSeconds: 3600,
  perNumber,
})
const refused = (p: Promise<unknown>) => assert.rejects(p, (e) => e instanceof RateLimiterRes)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// The same tests on every engine: limit counters live in SQLite, PostgreSQL or Redis.
for (const engine of ENGINES)
  describe(engine.name, { skip: engine.skip }, () => {
    test('a limiter counts per key up to its points, then refuses; `consumed` reads without taking', async (t) => {
      const { limits } = (await engine.open(t)).stores
      const ip = await limits.create(hour('otp_ip', 2))
      assert.equal(await limits.consumed(ip, '192.0.2.1'), 0, 'a key never seen holds nothing')
      await ip.consume('192.0.2.1')
      assert.equal(await limits.consumed(ip, '192.0.2.1'), 1)
      assert.equal(await limits.consumed(ip, '192.0.2.1'), 1, 'reading takes nothing')
      await ip.consume('192.0.2.1')
      await refused(ip.consume('192.0.2.1'))
      await ip.consume('192.0.2.2')
      await ip.reward('192.0.2.1', 2)
      await ip.consume('192.0.2.1')
    })

    test('limits per number count apart, though they share their storage', async (t) => {
      const { limits } = (await engine.open(t)).stores
      const hourly = await limits.create(hour('otp_number_hour', 1, true))
      const daily = await limits.create(hour('otp_number_day', 3, true))
      await hourly.consume(PHONE)
      await refused(hourly.consume(PHONE))
      await daily.consume(PHONE)
      await daily.consume(PHONE)
      await hourly.consume(OTHER)
      assert.equal(await limits.consumed(daily, PHONE), 2)
      assert.equal(await limits.consumed(hourly, PHONE), 2, 'the refused request counted too')
      assert.equal(await limits.consumed(daily, OTHER), 0)
      await hourly.delete(PHONE)
      assert.equal(await limits.consumed(hourly, PHONE), 0)
      assert.equal(await limits.consumed(daily, PHONE), 2, 'deleting one limit leaves the others')
      assert.deepEqual(
        limits.specs.map((s) => s.name),
        ['otp_number_hour', 'otp_number_day'],
      )
    })

    test('`atLimit` lists the keys at or over a limit, as the limiter was given them', async (t) => {
      const { limits } = (await engine.open(t)).stores
      const ip = await limits.create(hour('otp_ip', 2))
      const cooldown = await limits.create(hour('otp_resend', 1, true))
      const daily = await limits.create(hour('otp_number_day', 5, true))
      await ip.consume('192.0.2.1', 2)
      await ip.consume('192.0.2.2')
      await cooldown.consume(PHONE)
      await daily.consume(PHONE)
      await refused(cooldown.consume(PHONE))
      const now = Date.now()
      const [atIp, atCooldown, atDaily] = await Promise.all(
        limits.specs.map((spec) => limits.atLimit(spec, now)),
      )
      assert.deepEqual(
        atIp?.map((r) => [r.key, r.points]),
        [['192.0.2.1', 2]],
      )
      // A refused consume still counts (the library's own rule).
      assert.deepEqual(
        atCooldown?.map((r) => [r.key, r.points]),
        [[PHONE, 2]],
      )
      assert.deepEqual(atDaily, [], 'other limits of the same number are not at their limit')
      const expire = atIp?.[0]?.expire ?? 0
      assert.ok(expire > now + 3590_000 && expire <= now + 3600_000, String(expire - now))
    })

    test('a window that ended counts from zero; the sweep keeps live windows', async (t) => {
      const { limits } = (await engine.open(t)).stores
      const short = await limits.create({
        name: 'otp_resend',
        points: 1,
        durationSeconds: 1,
        perNumber: true,
      })
      const long = await limits.create(hour('otp_number_day', 5, true))
      const ip = await limits.create({ name: 'verify_ip', points: 1, durationSeconds: 1 })
      await short.consume(PHONE)
      await ip.consume('192.0.2.1')
      await long.consume(PHONE)
      await refused(short.consume(PHONE))
      await sleep(1100)
      const now = Date.now()
      assert.deepEqual(await limits.atLimit(limits.specs[0] as LimitSpec, now), [])
      const removed = await limits.sweep(now)
      // Redis expires its keys itself: nothing is left to sweep there.
      assert.equal(removed, engine.name === 'redis' ? 0 : 2)
      assert.equal(await limits.sweep(now), 0)
      assert.equal(await limits.consumed(long, PHONE), 1, 'the live window is kept')
      await short.consume(PHONE)
      await ip.consume('192.0.2.1')
    })
  })

// Migration 007 rewrites the shared table's keys from `<number>:<limit>` to `<limit>:<number>`.
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(`${engine.name}: migration 007`, { skip: engine.skip }, () => {
    test('a count taken before the migration is still seen after it, and down puts the keys back', async (t) => {
      // Without group commit: the migrations begin transactions of their own between the writes.
      const { stores, database } = await engine.open(t, { groupCommit: false })
      const migrations = await migrator(database)
      const down = await migrations.migrateTo('006_number_limits')
      assert.ifError(down.error)
      const later = Date.now() + 3_600_000
      const old = [
        [`${PHONE}:otp_number_hour`, 3],
        [`${PHONE}:2026-11-24:otp_verify_failed`, 2],
        [`${OTHER}:otp_resend`, 1],
      ] as const
      for (const [key, points] of old)
        await sql`insert into rate_limit_number (key, points, expire) values (${key}, ${points}, ${later})`.execute(
          database.db,
        )
      await migrate(database)

      const hourly = await stores.limits.create(hour('otp_number_hour', 5, true))
      const failed = await stores.limits.create(hour('otp_verify_failed', 5, true))
      const cooldown = await stores.limits.create(hour('otp_resend', 1, true))
      assert.equal(await stores.limits.consumed(hourly, PHONE), 3)
      assert.equal(await stores.limits.consumed(failed, `${PHONE}:2026-11-24`), 2)
      await refused(cooldown.consume(OTHER))
      const keys = async () =>
        (await sql<{ key: string }>`select key from rate_limit_number`.execute(database.db)).rows
          .map((r) => r.key)
          .sort()
      assert.deepEqual(await keys(), [
        `otp_number_hour:${PHONE}`,
        `otp_resend:${OTHER}`,
        `otp_verify_failed:${PHONE}:2026-11-24`,
      ])

      assert.ifError((await migrations.migrateTo('006_number_limits')).error)
      assert.deepEqual(await keys(), [
        `${PHONE}:2026-11-24:otp_verify_failed`,
        `${PHONE}:otp_number_hour`,
        `${OTHER}:otp_resend`,
      ])
    })
  })
