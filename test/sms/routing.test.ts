import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { parsePhone } from '../../src/phone/index.js'
import { type SenderOptions, SmsSender } from '../../src/sms/sender.js'
import { buildTestApp, FakeSms, LogCapture, post, type TestApp } from '../helpers.js'
import { fakeGateway, localGatewaysEnv } from './gateway-fakes.js'

const PHONE = '+998901234567'
const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'

/** Playmobile first, the HTTP gateway second, both real providers against local fakes. */
async function twoGateways(
  t: Parameters<typeof buildTestApp>[0],
  first: Parameters<typeof fakeGateway>[1],
  second: Parameters<typeof fakeGateway>[1],
  env: Record<string, string> = {},
) {
  const pm = await fakeGateway(t, first)
  const http = await fakeGateway(t, second)
  const ta = await buildTestApp(t, {
    configuredProviders: true,
    env: {
      ...localGatewaysEnv(pm.url, `${http.url}/send`),
      SMS_ROUTES: 'UZ=playmobile,http;*=http',
      SMS_TIMEOUT_MS: '300',
      ...env,
    },
  })
  const rows = () => ta.app.storage.db.db.selectFrom('sms_log').selectAll().orderBy('attempt').execute()
  const codeSentByHttp = () =>
    (http.received.at(-1)?.json as { text: string } | undefined)?.text.match(/\d{6}/)?.[0]
  return { ta, pm, http, rows, codeSentByHttp }
}

for (const [what, answer] of [
  ['times out', { status: 200, body: 'Request is received', delayMs: 3000 }],
  ['answers 5xx', { status: 502, body: 'Bad Gateway' }],
] as const) {
  test(`failover: the first provider ${what} → the second sends; both attempts logged, one code works`, async (t) => {
    const g = await twoGateways(t, [answer], [{ status: 200, body: { id: 'gw-1' } }])
    const res = await post(g.ta.app, SEND, { phone: PHONE })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(g.pm.received.length, 1)
    assert.equal(g.http.received.length, 1)
    const rows = await g.rows()
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.provider, r.status]),
      [
        [1, 'playmobile', 'failed'],
        [2, 'http', 'queued'],
      ],
    )
    assert.equal(rows[0]?.request_id, rows[1]?.request_id)
    assert.equal(rows[0]?.error_code, 'unavailable')
    const expected = what === 'times out' ? 'No answer from playmobile within 300 ms' : 'Bad Gateway'
    assert.equal(rows[0]?.error_message, expected)
    assert.equal(rows[1]?.provider_message_id, 'gw-1')
    const msgs = g.ta.logs.messages()
    assert.ok(msgs.includes(`⚠️ Failed to send SMS to ${PHONE} via playmobile`))
    assert.ok(msgs.includes(`playmobile error sending SMS: ${expected}`))
    assert.ok(msgs.includes(`✅ SMS sent to ${PHONE} via http. Message ID: gw-1`))
    // The code the second gateway carried signs the user in.
    const ok = await post(g.ta.app, VERIFY, { phone: PHONE, code: g.codeSentByHttp() })
    assert.equal(ok.statusCode, 200)
  })
}

test('a permanent refusal stops: the next provider is not tried', async (t) => {
  const g = await twoGateways(
    t,
    [
      { status: 400, body: { 'error-code': 103, 'error-description': 'Invalid recipient' } },
      { status: 400, body: { 'error-code': 104, 'error-description': 'Empty SMS text' } },
    ],
    [{ status: 200, body: {} }],
    { OTP_RESEND_SECONDS: '0' },
  )
  const bad = await post(g.ta.app, SEND, { phone: PHONE })
  assert.equal(bad.statusCode, 422)
  assert.equal(bad.json().code, 'INVALID_PHONE')
  const rejected = await post(g.ta.app, SEND, { phone: PHONE })
  assert.equal(rejected.statusCode, 503)
  assert.equal(rejected.json().code, 'SMS_UNAVAILABLE')
  assert.equal(g.http.received.length, 0)
  assert.deepEqual(
    (await g.rows()).map((r) => [r.provider, r.status, r.error_code, r.cost]),
    [
      ['playmobile', 'failed', 'invalid_recipient', 0],
      ['playmobile', 'failed', 'rejected_content', 0],
    ],
  )
})

test('when every provider fails the client gets 503 SMS_UNAVAILABLE and the code is discarded', async (t) => {
  const g = await twoGateways(t, [{ status: 500, body: 'down' }], [{ status: 503, body: 'down too' }])
  const res = await post(g.ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().code, 'SMS_UNAVAILABLE')
  assert.equal((await g.rows()).length, 2)
  const sent = g.pm.received[0]?.json as { messages: { sms: { content: { text: string } } }[] } | undefined
  const code = sent?.messages[0]?.sms.content.text.match(/\d{6}/)?.[0]
  const verify = await post(g.ta.app, VERIFY, { phone: PHONE, code })
  assert.equal(verify.json().code, 'OTP_EXPIRED')
})

test('SMS_ROUTES picks providers per country: foreign numbers follow *', async (t) => {
  const g = await twoGateways(t, [{ status: 200, body: 'ok' }], [{ status: 200, body: {} }], {
    ALLOWED_COUNTRIES: '*',
  })
  assert.equal((await post(g.ta.app, SEND, { phone: '+79161234567' })).statusCode, 200)
  assert.equal(g.pm.received.length, 0)
  assert.equal((g.http.received[0]?.json as { to: string } | undefined)?.to, '+79161234567')
  const row = (await g.rows())[0]
  assert.equal(row?.country, 'RU')
  assert.equal(row?.cost, null, 'no price known for the HTTP gateway by default')
})

test('default routes: Uzbek numbers local-first, Twilio last; other countries Twilio first', async (t) => {
  const ta = await buildTestApp(t, {
    env: {
      ESKIZ_ENABLED: 'true',
      ESKIZ_EMAIL: 'a@b.uz',
      ESKIZ_PASSWORD: 'x',
      PLAYMOBILE_ENABLED: 'true',
      PLAYMOBILE_LOGIN: 'l',
      PLAYMOBILE_PASSWORD: 'p',
      TWILIO_ENABLED: 'true',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: '0'.repeat(32),
      TWILIO_PHONE_NUMBER: '+15017122661',
    },
  })
  assert.deepEqual(ta.config.sms.routes, {
    byCountry: { UZ: ['eskiz', 'playmobile', 'twilio'] },
    fallback: ['twilio', 'eskiz', 'playmobile'],
  })
})

/** A sender over fake providers on the test app's database, for the circuit breaker's tests. */
function breakerSender(
  ta: TestApp,
  providers: FakeSms[],
  options: Pick<SenderOptions, 'routes' | 'circuit'> & Partial<SenderOptions> & { logs?: LogCapture },
): SmsSender {
  const { logs = new LogCapture(), ...rest } = options
  return new SmsSender({
    providers,
    smsLog: ta.app.stores.smsLog,
    log: pino(logs),
    timeoutMs: 1000,
    prices: { prices: [], uzsPerUsd: 12700 },
    ...rest,
  })
}

/** Eskiz first for Uzbek numbers, Twilio after it and for every other country. */
const ESKIZ_THEN_TWILIO = { byCountry: { UZ: ['eskiz', 'twilio'] }, fallback: ['twilio'] }

test('circuit breaker: a provider failing in a row is skipped, then tried again and its recovery logged', async (t) => {
  const ta = await buildTestApp(t)
  const logs = new LogCapture()
  const eskiz = new FakeSms('eskiz')
  const twilio = new FakeSms('twilio')
  let now = 1_000_000
  const sender = breakerSender(ta, [eskiz, twilio], {
    logs,
    routes: ESKIZ_THEN_TWILIO,
    circuit: { failures: 2, openMs: 30_000 },
    now: () => now,
  })
  const phone = parsePhone(PHONE)
  assert.ok(phone)
  eskiz.fail('unavailable', 'Service Unavailable')
  for (let i = 0; i < 2; i++) assert.equal((await sender.send(phone, 'code')).provider, 'twilio')
  assert.ok(
    logs
      .messages()
      .includes('🔌 SMS provider eskiz failed 2 times in a row: skipped for 30 s (Service Unavailable)'),
  )
  // Open: eskiz is not even tried (no attempt row), twilio goes first.
  const skipped = await sender.send(phone, 'code')
  assert.deepEqual([skipped.provider, skipped.attempts], ['twilio', 1])
  // After the open period one message tries eskiz again; it works → back in rotation.
  eskiz.failWith = null
  now += 30_000
  const probe = await sender.send(phone, 'code')
  assert.equal(probe.provider, 'eskiz')
  assert.ok(logs.messages().includes('✅ SMS provider eskiz recovered: back in rotation'))
  assert.equal(sender.circuits.isOpen('eskiz'), false)
  const attempts = await ta.app.storage.db.db.selectFrom('sms_log').select(['provider', 'status']).execute()
  // Two failovers (eskiz failed, twilio sent), one send with eskiz skipped, one trial through eskiz.
  assert.deepEqual(attempts.map((a) => `${a.provider}:${a.status}`).sort(), [
    'eskiz:failed',
    'eskiz:failed',
    'eskiz:queued',
    'twilio:queued',
    'twilio:queued',
    'twilio:queued',
  ])
})

test('circuit breaker: a trial that never reached the provider (the SMS log failed) gives its slot back', async (t) => {
  const ta = await buildTestApp(t)
  const eskiz = new FakeSms('eskiz')
  const twilio = new FakeSms('twilio')
  let now = 0
  let logDown = false
  const smsLog = ta.app.stores.smsLog
  const sender = breakerSender(ta, [eskiz, twilio], {
    routes: ESKIZ_THEN_TWILIO,
    circuit: { failures: 1, openMs: 10_000 },
    now: () => now,
    smsLog: {
      pending: async (row) => {
        if (logDown) throw new Error('the database is unavailable')
        await smsLog.pending(row)
      },
      sent: (row) => smsLog.sent(row),
      failed: (row) => smsLog.failed(row),
      applyReceipt: (receipt) => smsLog.applyReceipt(receipt),
      stale: (since, before, limit) => smsLog.stale(since, before, limit),
      lastSend: (phone, since) => smsLog.lastSend(phone, since),
      resolve: (resolution) => smsLog.resolve(resolution),
      watch: (w) => smsLog.watch(w),
      claimDue: (now, leaseMs, limit) => smsLog.claimDue(now, leaseMs, limit),
      settle: (id, state, at) => smsLog.settle(id, state, at),
    },
  })
  const phone = parsePhone(PHONE)
  assert.ok(phone)
  eskiz.fail('unavailable', 'Service Unavailable')
  assert.equal((await sender.send(phone, 'code')).provider, 'twilio')
  assert.equal(sender.circuits.isOpen('eskiz'), true)
  // The open period is over: this message claims eskiz's trial, but its SMS-log row cannot be written.
  now += 10_000
  logDown = true
  await assert.rejects(sender.send(phone, 'code'), /the database is unavailable/)
  assert.equal(eskiz.sent.length, 0)
  // The next message gets the trial: eskiz has recovered.
  logDown = false
  eskiz.failWith = null
  assert.equal((await sender.send(phone, 'code')).provider, 'eskiz')
  assert.equal(sender.circuits.isOpen('eskiz'), false)
})

test('circuit breaker: a failed trial reopens; with every provider open they are still tried', async (t) => {
  const ta = await buildTestApp(t)
  const logs = new LogCapture()
  const eskiz = new FakeSms('eskiz')
  let now = 0
  const sender = breakerSender(ta, [eskiz], {
    logs,
    routes: null,
    circuit: { failures: 1, openMs: 10_000 },
    now: () => now,
  })
  const phone = parsePhone(PHONE)
  assert.ok(phone)
  eskiz.fail('throttled', 'Too many requests')
  await assert.rejects(sender.send(phone, 'code'), { kind: 'throttled' })
  assert.equal(sender.circuits.isOpen('eskiz'), true)
  // Every provider is open: tried anyway rather than refusing without trying.
  eskiz.failWith = null
  assert.equal((await sender.send(phone, 'code')).provider, 'eskiz')
  assert.ok(logs.messages().includes('every SMS provider for UZ is failing; trying them anyway'))
  eskiz.fail('unavailable', 'still down')
  await assert.rejects(sender.send(phone, 'code'))
  now += 10_000
  await assert.rejects(sender.send(phone, 'code'))
  assert.ok(
    logs.messages().includes('🔌 SMS provider eskiz still failing: skipped for another 10 s (still down)'),
  )
  // A refused number says nothing about the gateway: it does not count as a failure.
  const other = new FakeSms('playmobile')
  const s2 = breakerSender(ta, [other], { logs, routes: null, circuit: { failures: 1, openMs: 10_000 } })
  other.fail('invalid_recipient')
  await assert.rejects(s2.send(phone, 'code'), { kind: 'invalid_recipient' })
  assert.equal(s2.circuits.isOpen('playmobile'), false)
})
