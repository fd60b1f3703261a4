import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HttpGatewayProvider, signHttpSms } from '../../src/channels/http/provider.js'
import { PlaymobileProvider } from '../../src/channels/playmobile/provider.js'
import type { SmsError } from '../../src/channels/provider.js'
import { buildTestApp, post } from '../helpers.js'
import { fakeGateway, localGatewaysEnv } from './gateway-fakes.js'

const PHONE = '+998901234567'
const signal = () => AbortSignal.timeout(2000)
const playmobile = (baseUrl: string) => ({
  login: 'royaltaxi',
  password: 'pm-secret',
  originator: '3700',
  baseUrl,
})

test('Playmobile request: Basic auth, the exact JSON, digits-only recipient, our id as message-id', async (t) => {
  const fake = await fakeGateway(t, [{ status: 200, body: 'Request is received' }])
  const provider = new PlaymobileProvider(playmobile(fake.url), 2000)
  const result = await provider.send({ to: PHONE, text: 'Kod: 123456', messageId: 'log-42' }, signal())
  assert.deepEqual(result, { providerMessageId: 'log-42', status: 'queued', price: null })
  const req = fake.received[0]
  assert.equal(req?.method, 'POST')
  assert.equal(req?.url, '/broker-api/send')
  assert.equal(req?.headers.authorization, `Basic ${Buffer.from('royaltaxi:pm-secret').toString('base64')}`)
  assert.match(req?.headers['content-type'] ?? '', /^application\/json/)
  assert.deepEqual(req?.json, {
    messages: [
      {
        recipient: '998901234567',
        'message-id': 'log-42',
        sms: { originator: '3700', content: { text: 'Kod: 123456' } },
      },
    ],
  })
})

test('Playmobile errors: 100 retryable, 102 account locked, others permanent; its description kept', async (t) => {
  const cases: [number, unknown, SmsError['kind'], boolean, string][] = [
    [
      400,
      { 'error-code': 100, 'error-description': 'Internal server error' },
      'unavailable',
      true,
      'Internal server error',
    ],
    [400, { 'error-code': 102, 'error-description': 'Account lock' }, 'auth_failed', true, 'Account lock'],
    [
      400,
      { 'error-code': 103, 'error-description': 'Empty recipient' },
      'invalid_recipient',
      false,
      'Empty recipient',
    ],
    [
      400,
      { 'error-code': 104, 'error-description': 'Empty SMS text' },
      'rejected_content',
      false,
      'Empty SMS text',
    ],
    [
      400,
      { 'error-code': 106, 'error-description': 'Invalid originator' },
      'rejected_content',
      false,
      'Invalid originator',
    ],
    [401, 'Unauthorized', 'auth_failed', true, 'Unauthorized'],
    [503, '', 'unavailable', true, 'HTTP 503'],
  ]
  for (const [status, body, kind, retryable, text] of cases) {
    const fake = await fakeGateway(t, [{ status, body }])
    const provider = new PlaymobileProvider(playmobile(fake.url), 2000)
    await assert.rejects(
      provider.send({ to: PHONE, text: 'x', messageId: 'id' }, signal()),
      (e: SmsError) => {
        assert.equal(e.kind, kind, text)
        assert.equal(e.retryable, retryable, text)
        assert.equal(e.message, text)
        return true
      },
    )
  }
})

test('HTTP gateway request: JSON {to, text, message_id} signed with HMAC-SHA256 over timestamp and body', async (t) => {
  const fake = await fakeGateway(t, [{ status: 202, body: { id: 'gw-77' } }])
  const secret = 'http-gateway-secret-0123'
  const provider = new HttpGatewayProvider(
    { url: `${fake.url}/sms/send?x=1`, secret },
    2000,
    () => 1_790_000_000_000,
  )
  const result = await provider.send({ to: PHONE, text: 'Код: 123456', messageId: 'log-9' }, signal())
  assert.deepEqual(result, { providerMessageId: 'gw-77', status: 'queued', price: null })
  const req = fake.received[0]
  assert.equal(req?.url, '/sms/send?x=1')
  assert.deepEqual(req?.json, { to: PHONE, text: 'Код: 123456', message_id: 'log-9' })
  assert.equal(req?.headers['x-signature-timestamp'], '1790000000')
  assert.equal(req?.headers['x-signature'], `sha256=${signHttpSms(secret, '1790000000', req?.body ?? '')}`)
  // What a receiver computes: hex HMAC over "<timestamp>.<raw body>".
  const { createHmac } = await import('node:crypto')
  assert.equal(
    req?.headers['x-signature'],
    `sha256=${createHmac('sha256', secret).update(`1790000000.${req?.body}`).digest('hex')}`,
  )
})

test('HTTP gateway: any 2xx is success; a named error kind is honoured; other statuses map by class', async (t) => {
  const fake = await fakeGateway(t, [
    { status: 204 },
    { status: 400, body: { error: 'invalid_recipient', message: 'no such subscriber' } },
    { status: 500, body: 'boom' },
    { status: 429, body: {} },
  ])
  const provider = new HttpGatewayProvider({ url: fake.url, secret: 'http-gateway-secret-0123' }, 2000)
  const send = () => provider.send({ to: PHONE, text: 'x', messageId: 'our-id' }, signal())
  assert.equal((await send()).providerMessageId, 'our-id')
  await assert.rejects(send(), { kind: 'invalid_recipient', message: 'no such subscriber', retryable: false })
  await assert.rejects(send(), { kind: 'unavailable', message: 'boom', retryable: true })
  await assert.rejects(send(), { kind: 'throttled', retryable: true })
})

test('Playmobile and the HTTP gateway are built from settings and counted as real providers', async (t) => {
  const pm = await fakeGateway(t, [{ status: 200, body: 'Request is received' }])
  const ta = await buildTestApp(t, {
    configuredProviders: true,
    env: localGatewaysEnv(pm.url, 'http://127.0.0.1:9/never'),
  })
  assert.equal(ta.config.devMode, false)
  assert.deepEqual(ta.app.sms.providerNames, ['playmobile', 'http'])
  const res = await post(ta.app, '/api/v1/auth/send-otp', { phone: PHONE })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().otp_code, undefined)
  const row = await ta.app.storage.db.db.selectFrom('sms_log').selectAll().executeTakeFirstOrThrow()
  assert.equal(row.provider, 'playmobile')
  assert.equal(row.provider_message_id, row.id, 'our id is the key')
  assert.equal(row.cost, 80)
  assert.ok(ta.logs.messages().includes(`✅ SMS sent to ${PHONE} via playmobile. Message ID: ${row.id}`))
  assert.equal(
    (pm.received[0]?.json as { messages: { 'message-id': string }[] } | undefined)?.messages[0]?.[
      'message-id'
    ],
    row.id,
  )
  assert.ok(!ta.logs.text().includes('pm-secret'))
})
