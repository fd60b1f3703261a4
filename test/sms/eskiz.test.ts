import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EskizProvider } from '../../src/channels/eskiz/provider.js'
import type { SmsError } from '../../src/channels/provider.js'
import { buildTestApp, post } from '../helpers.js'
import { startPrismOn } from '../prism.js'
import {
  type Answer,
  ESKIZ_SPEC,
  eskizEnv,
  eskizSettings,
  eskizSkipReason,
  fakeGateway,
  type Received,
} from './gateway-fakes.js'

const PHONE = '+998901234567'
const SPEC_ID = '59bf10a2-aba8-4694-8fd5-0be20102a580'

const signal = () => AbortSignal.timeout(2000)
const message = (to = PHONE, text = 'Bu Eskiz dan test') => ({ to, text, messageId: 'log-1' })

/** An Eskiz double: login and refresh hand out numbered tokens; send answers from `onSend`. */
function eskizScript(onSend: (req: Received, n: number) => Answer) {
  let tokens = 0
  let sends = 0
  return (req: Received): Answer => {
    if (req.url === '/api/auth/login') return { status: 200, body: { data: { token: `tok${++tokens}` } } }
    if (req.url === '/api/auth/refresh') return { status: 200, body: { data: { token: `tok${++tokens}` } } }
    return onSend(req, ++sends)
  }
}
const ok = { status: 200, body: { id: 'req-1', message: 'Waiting for SMS provider', status: 'waiting' } }

test('Eskiz contract (Prism): send-otp logs in, sends, and logs the row with segments and cost', {
  skip: eskizSkipReason(),
}, async (t) => {
  const prism = await startPrismOn(t, ESKIZ_SPEC)
  const ta = await buildTestApp(t, { env: eskizEnv(prism), configuredProviders: true })
  assert.equal(ta.config.devMode, false)
  // The Python service's runbook line holds whenever Twilio is off, whatever else is enabled.
  assert.ok(ta.logs.messages().includes('Twilio SMS service disabled (TWILIO_ENABLED=false)'))
  assert.ok(!ta.logs.messages().some((m) => m.startsWith('No SMS provider enabled')))
  const res = await post(ta.app, '/api/v1/auth/send-otp', { phone: PHONE })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().otp_code, undefined, 'no code in responses once a real gateway is enabled')
  const rows = await ta.app.storage.db.db.selectFrom('sms_log').selectAll().execute()
  assert.equal(rows.length, 1)
  assert.equal(rows[0]?.provider, 'eskiz')
  assert.equal(rows[0]?.status, 'queued')
  assert.equal(rows[0]?.provider_message_id, SPEC_ID)
  assert.equal(rows[0]?.segments, 1)
  assert.equal(rows[0]?.encoding, 'GSM-7')
  assert.equal(rows[0]?.cost, 90)
  assert.equal(rows[0]?.currency, 'UZS')
  assert.equal(rows[0]?.price_source, 'estimate')
  assert.ok(ta.logs.messages().includes(`✅ SMS sent to ${PHONE} via eskiz. Message ID: ${SPEC_ID}`))
  assert.ok(!ta.logs.text().includes('eskiz-secret-pass'))

  // The refresh request, near the token's expiry, also passes the contract.
  let now = Date.now()
  const provider = new EskizProvider(eskizSettings(prism), 2000, () => now)
  await provider.send(message(), signal())
  now += 29.5 * 24 * 3600 * 1000
  assert.deepEqual(await provider.send(message(), signal()), {
    providerMessageId: SPEC_ID,
    status: 'queued',
    price: null,
  })
})

test('Eskiz request: bearer token, digits-only number, our id as user_sms_id, callback_url', async (t) => {
  const fake = await fakeGateway(t, [eskizScript(() => ok)])
  const provider = new EskizProvider(eskizSettings(fake.url, 'https://auth.example/cb?token=x'), 2000)
  await provider.send(message(), signal())
  const [login, send] = fake.received
  assert.equal(login?.method, 'POST')
  assert.equal(login?.url, '/api/auth/login')
  assert.deepEqual(login?.form, { email: 'ops@royaltaxi.uz', password: 'eskiz-secret-pass' })
  assert.equal(send?.url, '/api/message/sms/send')
  assert.equal(send?.headers.authorization, 'Bearer tok1')
  assert.deepEqual(send?.form, {
    mobile_phone: '998901234567',
    message: 'Bu Eskiz dan test',
    from: '4546',
    user_sms_id: 'log-1',
    callback_url: 'https://auth.example/cb?token=x',
  })
})

test('Eskiz: numbers abroad go through send-global with the country; Cyrillic is flagged unicode', async (t) => {
  const fake = await fakeGateway(t, [eskizScript(() => ok)])
  const provider = new EskizProvider(eskizSettings(fake.url), 2000)
  await provider.send(message('+79161234567', 'Это тест от Eskiz'), signal())
  const send = fake.received[1]
  assert.equal(send?.url, '/api/message/sms/send-global')
  assert.equal(send?.form?.country_code, 'RU')
  assert.equal(send?.form?.mobile_phone, '79161234567')
  assert.equal(send?.form?.unicode, '1')
})

test('Eskiz: concurrent sends share one login; the token is reused', async (t) => {
  const fake = await fakeGateway(t, [eskizScript(() => ok)])
  const provider = new EskizProvider(eskizSettings(fake.url), 2000)
  await Promise.all(Array.from({ length: 5 }, () => provider.send(message(), signal())))
  await provider.send(message(), signal())
  assert.equal(fake.received.filter((r) => r.url === '/api/auth/login').length, 1)
  assert.equal(fake.received.filter((r) => r.url === '/api/message/sms/send').length, 6)
})

test('Eskiz: the token is refreshed with PATCH /api/auth/refresh before its 30 days run out', async (t) => {
  const fake = await fakeGateway(t, [eskizScript(() => ok)])
  let now = Date.UTC(2026, 0, 1)
  const provider = new EskizProvider(eskizSettings(fake.url), 2000, () => now)
  await provider.send(message(), signal())
  now += 28 * 24 * 3600 * 1000
  await provider.send(message(), signal())
  assert.equal(fake.received.filter((r) => r.url === '/api/auth/refresh').length, 0)
  now += 1.5 * 24 * 3600 * 1000
  await provider.send(message(), signal())
  const refresh = fake.received.find((r) => r.url === '/api/auth/refresh')
  assert.equal(refresh?.method, 'PATCH')
  assert.equal(refresh?.headers.authorization, 'Bearer tok1')
  assert.equal(fake.received.at(-1)?.headers.authorization, 'Bearer tok2')
  assert.equal(fake.received.filter((r) => r.url === '/api/auth/login').length, 1)
})

test('Eskiz: a 401 on send renews the token and retries once', async (t) => {
  const fake = await fakeGateway(t, [
    eskizScript((req) =>
      req.headers.authorization === 'Bearer tok1' ? { status: 401, body: { message: 'Expired' } } : ok,
    ),
  ])
  const provider = new EskizProvider(eskizSettings(fake.url), 2000)
  const result = await provider.send(message(), signal())
  assert.equal(result.providerMessageId, 'req-1')
  assert.deepEqual(
    fake.received.map((r) => `${r.url} ${r.headers.authorization ?? ''}`.trim()),
    [
      '/api/auth/login',
      '/api/message/sms/send Bearer tok1',
      '/api/auth/login',
      '/api/message/sms/send Bearer tok2',
    ],
  )
})

test('Eskiz: a 401 after renewing, or a refused login, is auth_failed (retryable)', async (t) => {
  const fake = await fakeGateway(t, [eskizScript(() => ({ status: 401, body: { message: 'Unauthorized' } }))])
  const provider = new EskizProvider(eskizSettings(fake.url), 2000)
  await assert.rejects(provider.send(message(), signal()), (e: SmsError) => {
    assert.equal(e.kind, 'auth_failed')
    assert.equal(e.retryable, true)
    return true
  })
  assert.equal(fake.received.filter((r) => r.url.startsWith('/api/message')).length, 2, 'retried once only')

  const badLogin = await fakeGateway(t, [{ status: 401, body: { message: 'Invalid credentials' } }])
  await assert.rejects(new EskizProvider(eskizSettings(badLogin.url), 2000).send(message(), signal()), {
    kind: 'auth_failed',
    message: 'Login failed: Invalid credentials',
  })
})

test("Eskiz refusals keep Eskiz's own message: moderation and test texts are permanent", async (t) => {
  const cases: [number, unknown, SmsError['kind'], string][] = [
    [
      400,
      { message: 'Этот смс текст еще не прошел модерацию', status: 'error' },
      'rejected_content',
      'Этот смс текст еще не прошел модерацию',
    ],
    [
      400,
      { message: 'Для теста можно использовать только тексты: This is test from Eskiz', status: 'error' },
      'rejected_content',
      'Для теста можно использовать только тексты: This is test from Eskiz',
    ],
    [
      200,
      { message: 'Текст не соответствует шаблону', status: 'error' },
      'rejected_content',
      'Текст не соответствует шаблону',
    ],
    [
      400,
      { message: 'Недостаточно средств на балансе' },
      'quota_exhausted',
      'Недостаточно средств на балансе',
    ],
    [
      422,
      { message: { mobile_phone: ['Неверный номер телефона'] } },
      'invalid_recipient',
      '{"mobile_phone":["Неверный номер телефона"]}',
    ],
    [429, { message: 'Too Many Attempts.' }, 'throttled', 'Too Many Attempts.'],
    [500, '<html>Bad Gateway</html>', 'unavailable', '<html>Bad Gateway</html>'],
  ]
  for (const [status, body, kind, text] of cases) {
    const fake = await fakeGateway(t, [eskizScript(() => ({ status, body }))])
    await assert.rejects(
      new EskizProvider(eskizSettings(fake.url), 2000).send(message(), signal()),
      (e: SmsError) => {
        assert.equal(e.kind, kind, text)
        assert.equal(e.message, text)
        assert.equal(e.retryable, !['rejected_content', 'invalid_recipient'].includes(kind))
        return true
      },
    )
  }
})

test('Eskiz: no answer within SMS_TIMEOUT_MS is a retryable timeout', async (t) => {
  const fake = await fakeGateway(t, [eskizScript(() => ({ ...ok, delayMs: 2000 }))])
  const provider = new EskizProvider(eskizSettings(fake.url), 150)
  await assert.rejects(provider.send(message(), AbortSignal.timeout(150)), {
    kind: 'unavailable',
    providerCode: 'TIMEOUT',
    message: 'No answer from eskiz within 150 ms',
  })
})
