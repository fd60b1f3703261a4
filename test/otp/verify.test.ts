import assert from 'node:assert/strict'
import { test } from 'node:test'
import { numberPrefix } from '../../src/abuse/blocks.js'
import type { AbuseLimiters } from '../../src/abuse/limiters.js'
import { BACKENDS, buildTestApp, countRedisWrites, post, redisOf, type TestApp } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const PHONE = '+998901234567'

async function sendCode(ta: TestApp, phone = PHONE): Promise<string> {
  const res = await post(ta.app, SEND, { phone })
  assert.equal(res.statusCode, 200, res.body)
  return ta.sms.codeFor(phone)
}

/** How many codes of PHONE's prefix were verified, by the counter the guard keeps to itself. */
async function verifiedCount(ta: TestApp): Promise<number | undefined> {
  const { limiters } = ta.app.abuse as unknown as { limiters: AbuseLimiters }
  const prefix = numberPrefix(PHONE, ta.app.config.abuse.pumping.dropDigits)
  return (await limiters.prefixVerified.get(prefix))?.consumedPoints
}

/** A wrong code of the right shape. */
const wrong = (code: string) => String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0')

for (const backend of BACKENDS) {
  const name = (s: string) => `[${backend.name}] ${s}`
  const opts = { skip: backend.skip }
  const build = async (t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) =>
    await buildTestApp(t, { env: { ...(await backend.env(t)), ...env } })

  test(name('the right code signs in; the first time creates the user'), opts, async (t) => {
    const ta = await build(t, { OTP_RESEND_SECONDS: '0' })
    const code = await sendCode(ta)
    const res = await post(ta.app, VERIFY, { phone: '+998 90 123 45 67', code })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'is_new_user',
      'refresh_token',
      'token_type',
      'user',
    ])
    assert.equal(body.token_type, 'bearer')
    assert.equal(body.expires_in, 900)
    assert.equal(body.is_new_user, true)
    assert.deepEqual(Object.keys(body.user).sort(), [
      'created_at',
      'full_name',
      'id',
      'phone',
      'role',
      'roles',
    ])
    assert.deepEqual([body.user.roles, body.user.role], [['passenger'], 'passenger'])
    assert.equal(body.user.phone, PHONE)
    assert.equal(body.user.full_name, null)
    assert.ok(!Number.isNaN(Date.parse(body.user.created_at)))

    const again = await post(ta.app, VERIFY, { phone: PHONE, code: await sendCode(ta) })
    assert.equal(again.json().is_new_user, false)
    assert.equal(again.json().user.id, body.user.id)
  })

  test(name('a code is single-use'), opts, async (t) => {
    const ta = await build(t)
    const code = await sendCode(ta)
    assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code })).statusCode, 200)
    const reuse = await post(ta.app, VERIFY, { phone: PHONE, code })
    assert.equal(reuse.statusCode, 400)
    assert.equal(reuse.json().code, 'OTP_EXPIRED')
  })

  test(name('wrong codes count down, then the code is destroyed with 429'), opts, async (t) => {
    const ta = await build(t)
    const code = await sendCode(ta)
    for (const left of [4, 3, 2, 1]) {
      const res = await post(ta.app, VERIFY, { phone: PHONE, code: wrong(code) }, { 'accept-language': 'en' })
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), {
        detail: `Wrong code. Attempts left: ${left}.`,
        code: 'OTP_INVALID',
        attempts_left: left,
      })
    }
    const fifth = await post(ta.app, VERIFY, { phone: PHONE, code: wrong(code) })
    assert.equal(fifth.statusCode, 429)
    assert.equal(fifth.json().code, 'OTP_TOO_MANY_ATTEMPTS')
    const right = await post(ta.app, VERIFY, { phone: PHONE, code })
    assert.equal(right.statusCode, 429, 'the right code no longer works once destroyed')
    assert.equal(right.json().code, 'OTP_TOO_MANY_ATTEMPTS')
  })

  test(name('no pending code and an expired code answer 400 OTP_EXPIRED'), opts, async (t) => {
    const ta = await build(t)
    const none = await post(ta.app, VERIFY, { phone: PHONE, code: '123456' })
    assert.equal(none.statusCode, 400)
    assert.equal(none.json().code, 'OTP_EXPIRED')

    const code = await sendCode(ta)
    const { redis } = ta.app.storage
    if (redis) await redis.pexpire(`${ta.config.redis?.keyPrefix}otp:${PHONE}`, 1)
    else
      await ta.app.storage.db.db
        .updateTable('otp_codes')
        .set({ expires_at: Date.now() - 1 })
        .execute()
    await new Promise((r) => setTimeout(r, 5))
    const expired = await post(ta.app, VERIFY, { phone: PHONE, code })
    assert.equal(expired.statusCode, 400)
    assert.equal(expired.json().code, 'OTP_EXPIRED')
  })

  test(
    name('when the same right code is verified concurrently exactly one request succeeds'),
    opts,
    async (t) => {
      const ta = await build(t)
      const code = await sendCode(ta)
      const results = await Promise.all(
        Array.from({ length: 10 }, () => post(ta.app, VERIFY, { phone: PHONE, code })),
      )
      assert.equal(results.filter((r) => r.statusCode === 200).length, 1)
      // The losers see the code gone, or (when all reserved an attempt before the winner deleted it) used up.
      assert.ok(
        results.every(
          (r) => r.statusCode === 200 || ['OTP_EXPIRED', 'OTP_TOO_MANY_ATTEMPTS'].includes(r.json().code),
        ),
      )
      // The prefix's count of verified codes (the pumping detector's verification rate) counts the code once:
      // requests that compared the right code but lost it gave their count back.
      assert.equal(await verifiedCount(ta), 1)
    },
  )

  test(name('50 wrong codes at once: no more than OTP_MAX_ATTEMPTS are ever compared'), opts, async (t) => {
    // One test client is one IP: lift the per-IP verify limit so the per-code bound is what is tested.
    const ta = await build(t, { VERIFY_IP_LIMIT_PER_MINUTE: '1000' })
    const code = await sendCode(ta)
    const results = await Promise.all(
      Array.from({ length: 50 }, () => post(ta.app, VERIFY, { phone: PHONE, code: wrong(code) })),
    )
    assert.equal(results.filter((r) => r.json().code === 'OTP_INVALID').length, 4)
    assert.equal(results.filter((r) => r.json().code === 'OTP_TOO_MANY_ATTEMPTS').length, 46)
    assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code })).statusCode, 429)
  })

  test(name('codes are stored only as keyed hashes'), opts, async (t) => {
    const ta = await build(t)
    const code = await sendCode(ta)
    const { redis } = ta.app.storage
    const stored = redis
      ? JSON.stringify(await redis.hgetall(`${ta.config.redis?.keyPrefix}otp:${PHONE}`))
      : JSON.stringify(await ta.app.storage.db.db.selectFrom('otp_codes').selectAll().execute())
    assert.match(stored, /"[A-Za-z0-9_-]{43}"/, 'an HMAC-SHA256 is there')
    assert.ok(!stored.includes(`"${code}"`) && !stored.includes(`:${code}`), 'the code itself is not')
  })

  if (backend.name === 'redis') {
    test(
      name('a right code: two round trips to Redis before the sign-in starts, the third alongside it'),
      opts,
      async (t) => {
        const ta = await build(t)
        const code = await sendCode(ta)
        const counter = countRedisWrites(ta, t)
        const { sessions } = ta.app
        const signIn = sessions.signIn.bind(sessions)
        let beforeSignIn = -1
        sessions.signIn = (...args) => {
          beforeSignIn = counter.writes
          return signIn(...args)
        }
        const res = await post(ta.app, VERIFY, { phone: PHONE, code })
        assert.equal(res.statusCode, 200, res.body)
        // The IP limit with the day's wrong-guess budget; the code checked and taken in one script. Then, with
        // the sign-in, the guess given back and the prefix's verified count.
        assert.equal(beforeSignIn, 2)
        assert.equal(counter.writes, 3)
        assert.equal(await verifiedCount(ta), 1)
      },
    )

    test(name('a wrong code costs two round trips to Redis, the last one too'), opts, async (t) => {
      const ta = await build(t)
      const code = await sendCode(ta)
      const counter = countRedisWrites(ta, t)
      for (const expected of [
        'OTP_INVALID',
        'OTP_INVALID',
        'OTP_INVALID',
        'OTP_INVALID',
        'OTP_TOO_MANY_ATTEMPTS',
      ]) {
        const before = counter.writes
        const res = await post(ta.app, VERIFY, { phone: PHONE, code: wrong(code) })
        assert.equal(res.json().code, expected)
        // The IP limit with the wrong-guess budget; the check, which on the last attempt also burns the code.
        assert.equal(counter.writes - before, 2)
      }
    })

    test(
      name('codes are saved, checked and taken after Redis forgets its scripts (a restart, SCRIPT FLUSH)'),
      opts,
      async (t) => {
        const ta = await build(t, { OTP_RESEND_SECONDS: '0' })
        const redis = redisOf(ta)
        // Each step runs a script by its SHA; with the scripts gone, each must load its own again.
        await redis.script('FLUSH')
        const code = await sendCode(ta)
        await redis.script('FLUSH')
        const bad = await post(ta.app, VERIFY, { phone: PHONE, code: wrong(code) })
        assert.equal(bad.json().code, 'OTP_INVALID', bad.body)
        await redis.script('FLUSH')
        const good = await post(ta.app, VERIFY, { phone: PHONE, code })
        assert.equal(good.statusCode, 200, good.body)
        const again = await post(ta.app, VERIFY, { phone: PHONE, code })
        assert.equal(again.json().code, 'OTP_EXPIRED', 'taken: single use still holds')
      },
    )
  }
}

test('a pending code survives a restart (same SECRET_KEY, same database)', async (t) => {
  const first = await buildTestApp(t, { keepDir: true })
  const code = await sendCode(first)
  await first.app.close()
  const second = await buildTestApp(t, { dir: first.dir })
  const res = await post(second.app, VERIFY, { phone: PHONE, code })
  assert.equal(res.statusCode, 200, res.body)
})

test('[redis] a pending code survives a restart', {
  skip: process.env.REDIS_URL ? false : 'REDIS_URL is not set',
}, async (t) => {
  const env = { REDIS_URL: process.env.REDIS_URL as string, REDIS_KEY_PREFIX: `test:restart:${Date.now()}:` }
  const first = await buildTestApp(t, { env })
  const code = await sendCode(first)
  await first.app.close()
  const second = await buildTestApp(t, { env })
  assert.equal((await post(second.app, VERIFY, { phone: PHONE, code })).statusCode, 200)
})

test('a malformed code is a validation error, not an attempt', async (t) => {
  const ta = await buildTestApp(t)
  const code = await sendCode(ta)
  for (const bad of ['12ab56', '', '１２３４５６', 123456]) {
    const res = await post(ta.app, VERIFY, { phone: PHONE, code: bad })
    assert.equal(res.statusCode, 422, String(bad))
    assert.equal(res.json().code, 'VALIDATION_ERROR')
  }
  assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code })).statusCode, 200)
})
