import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BACKENDS, buildTestApp, post, type TestApp } from '../helpers.js'
import { eventually, TcpProxy } from './proxy.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const PHONE = '+998901234567'
const postgres = BACKENDS.find((b) => b.name === 'postgres')
const redis = BACKENDS.find((b) => b.name === 'redis')
const OPEN = { OTP_RESEND_SECONDS: '0', OTP_IP_LIMIT_PER_MINUTE: '1000', VERIFY_IP_LIMIT_PER_MINUTE: '1000' }

/** Routes a postgres:// or redis:// URL through a fresh proxy. */
async function proxied(t: { after: (fn: () => unknown) => void }, raw: string) {
  const url = new URL(raw)
  const proxy = await new TcpProxy(
    url.hostname,
    Number(url.port || (url.protocol === 'redis:' ? 6379 : 5432)),
  ).start()
  t.after(() => proxy.stop())
  url.host = proxy.address
  return { proxy, url: url.toString() }
}

async function count(ta: TestApp, table: 'users' | 'refresh_tokens' | 'otp_codes' | 'sms_log') {
  const row = await ta.app.storage.db.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * The app with PostgreSQL or Redis (`key`) behind a proxy, and one code already sent to PHONE while all is
 * well.
 */
async function behindProxy(
  t: Parameters<typeof buildTestApp>[0],
  backend: (typeof BACKENDS)[number] | undefined,
  key: 'DATABASE_URL' | 'REDIS_URL',
) {
  const env = (await backend?.env(t)) ?? {}
  const { proxy, url } = await proxied(t, env[key] as string)
  const ta = await buildTestApp(t, { env: { ...env, ...OPEN, [key]: url } })
  assert.equal((await post(ta.app, SEND, { phone: PHONE })).statusCode, 200)
  return { proxy, ta, code: ta.sms.codeFor(PHONE) }
}

const ready = async (ta: TestApp) =>
  (await ta.app.inject({ method: 'GET', url: '/ready' })).statusCode === 200

test('PostgreSQL stopped mid-run: 503 with a code, /ready 503, the process stays up, recovers by itself', {
  skip: postgres?.skip,
}, async (t) => {
  const { proxy, ta, code } = await behindProxy(t, postgres, 'DATABASE_URL')

  await proxy.cut()
  for (const res of [
    await post(ta.app, SEND, { phone: '+998901234568' }),
    await post(ta.app, VERIFY, { phone: PHONE, code }),
    await post(ta.app, '/api/v1/auth/refresh', { refresh_token: 'x'.repeat(43) }),
  ]) {
    assert.equal(res.statusCode, 503, res.body)
    assert.equal(res.json().code, 'SERVICE_UNAVAILABLE')
    assert.ok(!/stack|ECONNREFUSED|at \//.test(res.body), res.body)
  }
  const notReady = await ta.app.inject({ method: 'GET', url: '/ready' })
  assert.equal(notReady.statusCode, 503)
  assert.deepEqual(notReady.json().checks, { database: 'unavailable', redis: 'disabled' })
  assert.equal((await ta.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process is up')
  assert.equal(ta.sms.sent.length, 1, 'nothing was sent while the limits could not be checked')

  await proxy.restore()
  assert.ok(await eventually(() => ready(ta)), '/ready recovers')
  // The pending code survived the outage: the failed verify never reached the store.
  const ok = await post(ta.app, VERIFY, { phone: PHONE, code })
  assert.equal(ok.statusCode, 200, ok.body)
  assert.equal((await post(ta.app, SEND, { phone: '+998901234568' })).statusCode, 200)
})

test('PostgreSQL dropping the connection inside the sign-in transaction leaves no half-created user or token', {
  skip: postgres?.skip,
}, async (t) => {
  const { proxy, ta, code } = await behindProxy(t, postgres, 'DATABASE_URL')
  // The user row is already inserted in the open transaction when the token insert is on the wire.
  proxy.cutWhen = (chunk) => chunk.includes('insert into refresh_tokens')
  const res = await post(ta.app, VERIFY, { phone: PHONE, code })
  assert.equal(res.statusCode, 503, res.body)
  assert.equal(res.json().code, 'SERVICE_UNAVAILABLE')
  assert.equal(proxy.cutWhen, null, 'the cut happened mid-transaction')
  assert.ok(await eventually(() => ready(ta)))
  assert.equal(await count(ta, 'users'), 0)
  assert.equal(await count(ta, 'refresh_tokens'), 0)
  // The client retries with a new code and gets in.
  await post(ta.app, SEND, { phone: PHONE })
  const again = await post(ta.app, VERIFY, { phone: PHONE, code: ta.sms.codeFor(PHONE) })
  assert.equal(again.statusCode, 200, again.body)
  assert.equal(again.json().is_new_user, true)
  assert.equal(await count(ta, 'users'), 1)
  assert.equal(await count(ta, 'refresh_tokens'), 1)
})

test('Redis unavailable: sending fails closed with 503, /ready 503, recovers by itself', {
  skip: redis?.skip,
}, async (t) => {
  const { proxy, ta, code } = await behindProxy(t, redis, 'REDIS_URL')

  await proxy.cut()
  const refused = await post(ta.app, SEND, { phone: '+998901234568' })
  assert.equal(refused.statusCode, 503, refused.body)
  assert.equal(refused.json().code, 'SERVICE_UNAVAILABLE')
  assert.equal(ta.sms.sent.length, 1, 'no limits, no sending')
  assert.equal(await count(ta, 'sms_log'), 1)
  const verify = await post(ta.app, VERIFY, { phone: PHONE, code })
  assert.equal(verify.statusCode, 503)
  const notReady = await ta.app.inject({ method: 'GET', url: '/ready' })
  assert.equal(notReady.statusCode, 503)
  assert.deepEqual(notReady.json().checks, { database: 'ok', redis: 'unavailable' })
  assert.equal((await ta.app.inject({ method: 'GET', url: '/health' })).statusCode, 200)

  await proxy.restore()
  assert.ok(await eventually(() => ready(ta)), 'ioredis reconnects by itself')
  assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code })).statusCode, 200)
  assert.equal((await post(ta.app, SEND, { phone: '+998901234568' })).statusCode, 200)
})
