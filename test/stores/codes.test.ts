import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hmac } from '../../src/crypto.js'
import type { CodeStore } from '../../src/stores/codes/index.js'
import { ENGINES } from './engines.js'

const PHONE = '+998901234567'
const KEY = Buffer.alloc(32, 1)
const HASH = hmac(KEY, `${PHONE}:123456`)
const OTHER = hmac(KEY, `${PHONE}:123457`)

const save = (store: CodeStore, id: string, expiresAt = Date.now() + 60_000) =>
  store.save(PHONE, { id, hash: HASH, expiresAt })
const check = (store: CodeStore, hash: string, max = 4) => store.check(PHONE, hash, max, Date.now())
const kinds = async (checks: Promise<{ kind: string }>[]) => (await Promise.all(checks)).map((c) => c.kind)

// The same tests on every engine: pending codes live in SQLite, PostgreSQL or Redis.
for (const engine of ENGINES)
  describe(engine.name, { skip: engine.skip }, () => {
    test('a check counts, compares, and takes or burns the code in one step', async (t) => {
      const { codes } = (await engine.open(t)).stores
      await save(codes, 'a')
      // Hashes that share all but their last character, or all of the stored one, are not equal.
      const lastDiffers = HASH.slice(0, -1) + (HASH.endsWith('A') ? 'B' : 'A')
      assert.deepEqual(await check(codes, lastDiffers), { kind: 'wrong', attemptsLeft: 3 })
      assert.deepEqual(await check(codes, `${HASH}A`), { kind: 'wrong', attemptsLeft: 2 })
      assert.deepEqual(await check(codes, ''), { kind: 'wrong', attemptsLeft: 1 })
      assert.deepEqual(await check(codes, OTHER), { kind: 'wrong', attemptsLeft: 0 })
      assert.deepEqual(
        await check(codes, HASH),
        { kind: 'exhausted' },
        'burnt: the right code no longer works',
      )
      assert.deepEqual(await check(codes, ''), { kind: 'exhausted' }, 'nor does the burnt hash')

      await save(codes, 'b')
      assert.deepEqual(await check(codes, OTHER), { kind: 'wrong', attemptsLeft: 3 })
      assert.deepEqual(await check(codes, HASH), { kind: 'right' })
      assert.deepEqual(await check(codes, HASH), { kind: 'none' }, 'a right code is taken')
      assert.deepEqual(await codes.check('+998901234568', HASH, 4, Date.now()), { kind: 'none' })
    })

    test('saving replaces the pending code and its count of attempts', async (t) => {
      const { codes } = (await engine.open(t)).stores
      await codes.save(PHONE, { id: 'a', hash: OTHER, expiresAt: Date.now() + 60_000 })
      assert.deepEqual(await check(codes, HASH, 2), { kind: 'wrong', attemptsLeft: 1 })
      await save(codes, 'b')
      assert.deepEqual(
        await check(codes, OTHER, 2),
        { kind: 'wrong', attemptsLeft: 1 },
        'attempts start again',
      )
      assert.deepEqual(await check(codes, HASH, 2), { kind: 'right' }, 'the new code is the one compared')
    })

    test('of ten concurrent right guesses exactly one gets the code', async (t) => {
      const { codes } = (await engine.open(t)).stores
      await save(codes, 'a')
      const all = await kinds(Array.from({ length: 10 }, () => check(codes, HASH, 5)))
      assert.equal(all.filter((k) => k === 'right').length, 1, String(all))
      // The others find it gone or, where an attempt and the delete are two statements (PostgreSQL), its
      // attempts used up by guesses that came before the delete.
      assert.ok(
        all.every((k) => ['right', 'none', 'exhausted'].includes(k)),
        String(all),
      )
    })

    test('concurrent wrong guesses never get more comparisons than the code allows', async (t) => {
      const { codes } = (await engine.open(t)).stores
      await save(codes, 'a')
      const all = await Promise.all(Array.from({ length: 20 }, () => check(codes, OTHER, 5)))
      const wrong = all.filter((c) => c.kind === 'wrong')
      assert.equal(wrong.length, 5, JSON.stringify(all))
      assert.deepEqual(
        wrong.map((c) => (c.kind === 'wrong' ? c.attemptsLeft : -1)).sort(),
        [0, 1, 2, 3, 4],
        'each attempt counted once',
      )
      assert.equal(all.filter((c) => c.kind === 'exhausted').length, 15)
      assert.deepEqual(await check(codes, HASH, 5), { kind: 'exhausted' }, 'and the code is burnt')
    })

    test('take removes only its own code', async (t) => {
      const { codes } = (await engine.open(t)).stores
      await save(codes, 'd')
      assert.equal(await codes.take(PHONE, 'c'), false)
      assert.deepEqual(await check(codes, OTHER), { kind: 'wrong', attemptsLeft: 3 }, 'still there')
      assert.equal(await codes.take(PHONE, 'd'), true)
      assert.equal(await codes.take(PHONE, 'd'), false)
      assert.deepEqual(await check(codes, HASH), { kind: 'none' })
    })

    test('an expired code is no code, and the sweep or the store itself removes it', async (t) => {
      const opened = await engine.open(t)
      const { codes } = opened.stores
      await save(codes, 'a', Date.now() + 200)
      await new Promise((r) => setTimeout(r, 250))
      assert.deepEqual(await check(codes, HASH), { kind: 'none' })
      await codes.sweep(Date.now())
      if (opened.redis) {
        const { client, keyPrefix } = opened.redis
        assert.equal(await client.exists(`${keyPrefix}otp:${PHONE}`), 0, 'Redis expired the key')
      } else if (opened.database.kind === 'sqlite') {
        assert.deepEqual(opened.database.sqlite.prepare('select phone from otp_codes').all(), [])
      } else {
        assert.equal((await opened.database.pool.query('select phone from otp_codes')).rowCount, 0)
      }
    })
  })

// Redis keeps the format every running instance reads: a hash {id, h, a} under `<prefix>otp:<phone>`.
for (const engine of ENGINES.filter((e) => e.name === 'redis'))
  describe(`${engine.name} keys`, { skip: engine.skip }, () => {
    test('a code is a hash {id, h, a} that expires with the code', async (t) => {
      const { stores, redis } = await engine.open(t)
      assert.ok(redis)
      const expiresAt = Date.now() + 60_000
      await stores.codes.save(PHONE, { id: 'a', hash: HASH, expiresAt })
      const key = `${redis.keyPrefix}otp:${PHONE}`
      assert.deepEqual(await redis.client.hgetall(key), { id: 'a', h: HASH, a: '0' })
      assert.equal(await redis.client.pexpiretime(key), expiresAt)
      await check(stores.codes, OTHER, 2)
      await check(stores.codes, OTHER, 2)
      assert.deepEqual(await redis.client.hgetall(key), { id: 'a', h: '', a: '2' })
    })
  })
