import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { ConfigError, isWeakSecret, loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { buildTestApp, LIVE_SMS, LogCapture, post, STRONG_SECRET } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const PHONE = '+998901234567'

/** A stand-in for Turnstile's/hCaptcha's siteverify: "good" passes, "boom" is a 500, the rest fail. */
async function fakeCaptcha(t: { after: (fn: () => unknown) => void }) {
  const received: Record<string, string>[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body))
      received.push({ ...form, contentType: req.headers['content-type'] ?? '' })
      if (form.response === 'boom') {
        res.writeHead(500).end('oops')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          form.response === 'good' && form.secret === 'captcha-secret'
            ? { success: true }
            : { success: false, 'error-codes': ['invalid-input-response'] },
        ),
      )
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`, received, server }
}

test('CAPTCHA: send-otp needs a token the provider accepts; the provider being down fails closed', async (t) => {
  const captcha = await fakeCaptcha(t)
  const ta = await buildTestApp(t, {
    env: {
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: 'captcha-secret',
      CAPTCHA_VERIFY_URL: captcha.url,
      OTP_IP_LIMIT_PER_MINUTE: '100',
      OTP_RESEND_SECONDS: '0',
    },
  })
  const missing = await post(ta.app, SEND, { phone: PHONE }, { 'accept-language': 'en' })
  assert.equal(missing.statusCode, 400)
  assert.deepEqual(missing.json(), {
    detail: 'Complete the CAPTCHA: send the captcha_token field.',
    code: 'CAPTCHA_REQUIRED',
  })
  assert.equal(captcha.received.length, 0)
  const bad = await post(ta.app, SEND, { phone: PHONE, captcha_token: 'forged' })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'CAPTCHA_INVALID')
  const boom = await post(ta.app, SEND, { phone: PHONE, captcha_token: 'boom' })
  assert.equal(boom.statusCode, 503)
  assert.equal(boom.json().code, 'CAPTCHA_UNAVAILABLE')
  assert.equal(ta.sms.sent.length, 0)

  const ok = await ta.app.inject({
    method: 'POST',
    url: SEND,
    payload: { phone: PHONE, captcha_token: 'good' },
    remoteAddress: '198.51.100.9',
  })
  assert.equal(ok.statusCode, 200, ok.body)
  assert.equal(ta.sms.sent.length, 1)
  assert.deepEqual(captcha.received.at(-1), {
    secret: 'captcha-secret',
    response: 'good',
    remoteip: '198.51.100.9',
    contentType: 'application/x-www-form-urlencoded',
  })
  assert.ok(!ta.logs.text().includes('captcha-secret'))

  await new Promise((r) => captcha.server.close(r))
  const down = await post(ta.app, SEND, { phone: PHONE, captcha_token: 'good' })
  assert.equal(down.statusCode, 503)
  assert.equal(down.json().code, 'CAPTCHA_UNAVAILABLE')
})

test('CAPTCHA settings: a provider needs its secret; the default URLs are the providers’', () => {
  assert.throws(
    () => loadConfig({ CAPTCHA_PROVIDER: 'hcaptcha' }),
    (e: ConfigError) => e.problems.includes('CAPTCHA_SECRET: required when CAPTCHA_PROVIDER=hcaptcha'),
  )
  assert.equal(
    loadConfig({ CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: 'x' }).captcha?.verifyUrl,
    'https://api.hcaptcha.com/siteverify',
  )
  assert.equal(
    loadConfig({ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 'x' }).captcha?.verifyUrl,
    'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  )
  assert.equal(loadConfig({}).captcha, null)
})

test('security headers on every response: the OWASP REST set on JSON, helmet on pages', async (t) => {
  const ta = await buildTestApp(t)
  for (const res of [
    await post(ta.app, SEND, { phone: PHONE }),
    await post(ta.app, SEND, { phone: 'x' }),
    await ta.app.inject({ method: 'GET', url: '/health' }),
    await ta.app.inject({ method: 'GET', url: '/nowhere' }),
  ]) {
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/)
    assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'")
    assert.equal(res.headers['x-frame-options'], 'DENY')
    assert.equal(res.headers['referrer-policy'], 'no-referrer')
    assert.equal(res.headers['cache-control'], 'no-store', 'codes and tokens are never cached')
    assert.equal(res.headers['x-powered-by'], undefined)
    assert.equal(res.headers['x-dns-prefetch-control'], undefined, "only a page's headers are left out")
  }
  const docs = await ta.app.inject({ method: 'GET', url: '/docs/' })
  assert.equal(docs.statusCode, 200, 'the API docs still load under the CSP')
  assert.ok(!/<script>/.test(docs.body), 'no inline script that the CSP would block')
  const csp = String(docs.headers['content-security-policy'])
  assert.match(csp, /default-src 'self'/)
  assert.ok(!csp.includes('upgrade-insecure-requests'), 'the docs also work over plain http in development')
  assert.equal(docs.headers['x-frame-options'], 'SAMEORIGIN')
  assert.equal(docs.headers['x-content-type-options'], 'nosniff')
  assert.match(String(docs.headers['strict-transport-security']), /max-age=\d+/)
})

test('CORS: none by default; only the origins CORS_ORIGINS names, or *', async (t) => {
  const preflight = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: SEND,
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
  const none = await buildTestApp(t)
  const closed = await post(none.app, SEND, { phone: PHONE }, { origin: 'https://evil.example' })
  assert.equal(closed.headers['access-control-allow-origin'], undefined)

  const listed = await buildTestApp(t, {
    env: { CORS_ORIGINS: 'https://app.royaltaxi.uz, https://admin.royaltaxi.uz' },
  })
  const ok = await preflight(listed.app, 'https://app.royaltaxi.uz')
  assert.equal(ok.statusCode, 204)
  assert.equal(ok.headers['access-control-allow-origin'], 'https://app.royaltaxi.uz')
  assert.match(String(ok.headers['access-control-allow-methods']), /POST/)
  const evil = await preflight(listed.app, 'https://evil.example')
  assert.equal(evil.headers['access-control-allow-origin'], undefined)
  const simple = await post(listed.app, SEND, { phone: PHONE }, { origin: 'https://admin.royaltaxi.uz' })
  assert.equal(simple.headers['access-control-allow-origin'], 'https://admin.royaltaxi.uz')

  const any = await buildTestApp(t, { env: { CORS_ORIGINS: '*' } })
  assert.equal((await preflight(any.app, 'https://x.example')).headers['access-control-allow-origin'], '*')
  assert.throws(() => loadConfig({ CORS_ORIGINS: 'app.royaltaxi.uz' }), ConfigError)
})

test('a weak SECRET_KEY is refused in production, a random one accepted', () => {
  const prod = { ...LIVE_SMS, APP_ENV: 'production' }
  for (const weak of [
    'a'.repeat(40),
    'change-me-change-me-change-me-change-me',
    'abababababababababababababababab12',
  ]) {
    assert.ok(isWeakSecret(weak), weak)
    assert.throws(
      () => loadConfig({ ...prod, SECRET_KEY: weak }),
      (e: ConfigError) => e.problems.some((p) => p.startsWith('SECRET_KEY: too weak for production')),
    )
  }
  assert.equal(isWeakSecret(STRONG_SECRET), false)
  assert.equal(loadConfig({ ...prod, SECRET_KEY: STRONG_SECRET }).env, 'production')
  // Outside production the length check is enough (tests and development use fixed keys).
  assert.equal(loadConfig({ SECRET_KEY: 'a'.repeat(40) }).env, 'development')
})

test('log redaction: authorisation headers, tokens, passwords, secrets and codes never reach a line', () => {
  const logs = new LogCapture()
  const log = createLogger({ level: 'info', file: null }, logs)
  log.info(
    {
      req: {
        headers: {
          authorization: 'Bearer eyJhbGciOi.SECRET1',
          cookie: 'sid=SECRET2',
          'x-api-key': 'SECRET3',
        },
      },
      body: { refresh_token: 'SECRET4', code: '493817', captcha_token: 'SECRET5', phone: PHONE },
      password: 'SECRET6',
      config: { secretKey: 'SECRET7', authToken: 'SECRET8' },
      access_token: 'SECRET9',
      err: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    },
    'request',
  )
  const line = logs.text()
  for (const secret of [
    'SECRET1',
    'SECRET2',
    'SECRET3',
    'SECRET4',
    '493817',
    'SECRET5',
    'SECRET6',
    'SECRET7',
    'SECRET8',
    'SECRET9',
  ])
    assert.ok(!line.includes(secret), `${secret} leaked: ${line}`)
  assert.ok(line.includes(PHONE), 'ordinary fields stay')
  assert.ok(line.includes('"code":"ECONNREFUSED"'), 'error codes stay: operators need them')
  assert.ok(line.includes('[redacted]'))
})

test("log redaction one level down: errors, child loggers, and the caller's objects left as they were", () => {
  const logs = new LogCapture()
  const log = createLogger({ level: 'info', file: null }, logs)
  const err = Object.assign(new Error('gateway refused'), { token: 'SECRET1', status: 401 })
  const sms = { provider: 'eskiz', authToken: 'SECRET2' }
  log.child({ gateway: { name: 'eskiz', password: 'SECRET3' } }).warn({ err, sms }, 'send failed')
  log.error(Object.assign(new Error('boom'), { secret: 'SECRET4' }))
  const text = logs.text()
  for (const secret of ['SECRET1', 'SECRET2', 'SECRET3', 'SECRET4'])
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`)
  type Line = { err: { message: string; stack: string; status: number }; sms: { provider: string } }
  const [first, second] = logs.lines as unknown as (Line & { gateway: { name: string }; msg: string })[]
  assert.equal(first?.err.message, 'gateway refused', 'the error keeps its message')
  assert.equal(first?.err.status, 401)
  assert.ok(first?.err.stack.includes('gateway refused'), 'and its stack')
  assert.equal(first?.sms.provider, 'eskiz')
  assert.equal(first?.gateway.name, 'eskiz')
  assert.equal(second?.msg, 'boom')
  assert.equal(err.token, 'SECRET1', "the caller's error is not changed")
  assert.equal(sms.authToken, 'SECRET2', 'nor its object')
})

test('a real request logs neither the Authorization header nor the tokens', async (t) => {
  const ta = await buildTestApp(t, { env: { LOG_LEVEL: 'trace' } })
  await post(ta.app, SEND, { phone: PHONE })
  const code = ta.sms.codeFor(PHONE)
  const signed = (await post(ta.app, '/api/v1/auth/verify-otp', { phone: PHONE, code })).json()
  await ta.app.inject({
    method: 'GET',
    url: '/api/v1/users/me',
    headers: { authorization: `Bearer ${signed.access_token}` },
  })
  await post(ta.app, '/api/v1/auth/refresh', { refresh_token: signed.refresh_token })
  const text = ta.logs.text()
  assert.ok(!text.includes(signed.access_token))
  assert.ok(!text.includes(signed.refresh_token))
})
