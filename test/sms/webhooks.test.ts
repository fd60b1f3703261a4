import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { test } from 'node:test'
import { BACKENDS, buildTestApp, FakeSms, post } from '../helpers.js'
import { fakeGateway } from './gateway-fakes.js'
import { twilioProvider } from './twilio-fakes.js'

const PHONE = '+998901234567'
const AUTH_TOKEN = '0123456789abcdef0123456789abcdef'
const TOKEN = 'wh_0123456789abcdefghijklmnop'
const BASE = 'https://auth.royaltaxi.example'
const TWILIO_HOOK = '/api/v1/webhooks/twilio/status'
const env = {
  TWILIO_ENABLED: 'true',
  TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: '+15017122661',
  PUBLIC_BASE_URL: BASE,
  WEBHOOK_TOKEN: TOKEN,
  OTP_RESEND_SECONDS: '0',
}

/** Twilio's algorithm, written out: HMAC-SHA1 over the URL and the sorted parameters, base64. */
function twilioSignature(url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url)
  return createHmac('sha1', AUTH_TOKEN).update(data).digest('base64')
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString()

/** An app whose gateways are fakes named like the real ones, with one code sent through `provider`. */
async function sentThrough(
  t: Parameters<typeof buildTestApp>[0],
  provider: string,
  extra: Record<string, string>,
) {
  const sms = new FakeSms(provider)
  const ta = await buildTestApp(t, { env: { ...env, ...extra }, providers: [sms] })
  const res = await post(ta.app, '/api/v1/auth/send-otp', { phone: PHONE })
  assert.equal(res.statusCode, 200)
  const db = ta.app.storage.db.db
  const row = async () => await db.selectFrom('sms_log').selectAll().executeTakeFirstOrThrow()
  const receipts = async () => await db.selectFrom('sms_receipts').selectAll().orderBy('id').execute()
  return { ta, sms, row, receipts, first: await row() }
}

for (const backend of BACKENDS) {
  test(`[${backend.name}] a correctly signed Twilio callback updates the row; a forged one is refused`, {
    skip: backend.skip,
  }, async (t) => {
    const { ta, row, receipts, first } = await sentThrough(t, 'twilio', await backend.env(t))
    assert.equal(first.provider_message_id, 'FAKE1')
    const params = {
      MessageSid: 'FAKE1',
      MessageStatus: 'delivered',
      AccountSid: `AC${'1'.repeat(32)}`,
      To: PHONE,
      Price: '-0.05300',
      PriceUnit: 'USD',
    }
    const forged = await ta.app.inject({
      method: 'POST',
      url: TWILIO_HOOK,
      payload: form(params),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(`${BASE}${TWILIO_HOOK}`, { ...params, MessageStatus: 'sent' }),
      },
    })
    assert.equal(forged.statusCode, 403)
    assert.equal(forged.json().code, 'WEBHOOK_FORBIDDEN')
    const unsigned = await ta.app.inject({
      method: 'POST',
      url: TWILIO_HOOK,
      payload: form(params),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    assert.equal(unsigned.statusCode, 403)
    assert.equal((await row()).status, 'queued')
    assert.equal((await receipts()).length, 0)

    const signed = await ta.app.inject({
      method: 'POST',
      url: TWILIO_HOOK,
      payload: form(params),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(`${BASE}${TWILIO_HOOK}`, params),
      },
    })
    assert.equal(signed.statusCode, 200, signed.body)
    const after = await row()
    assert.equal(after.status, 'delivered')
    assert.ok(after.delivered_at)
    // Twilio's own price replaces the estimate.
    assert.deepEqual(
      [after.cost, after.currency, after.cost_usd, after.price_source],
      [0.053, 'USD', 0.053, 'provider'],
    )
    const [receipt] = await receipts()
    assert.equal(receipt?.sms_log_id, first.id)
    assert.equal(receipt?.provider, 'twilio')
    assert.equal(receipt?.raw_status, 'delivered')
    assert.equal(receipt?.status, 'delivered')
  })

  test(`[${backend.name}] Eskiz DELIVRD marks delivered; a late "sent" changes nothing; repeats are idempotent`, {
    skip: backend.skip,
  }, async (t) => {
    const { ta, row, receipts, first } = await sentThrough(t, 'eskiz', await backend.env(t))
    const hook = (status: string, token = TOKEN, user_sms_id = first.id) =>
      post(ta.app, `/api/v1/webhooks/eskiz/status?token=${token}`, {
        request_id: 'req-uuid',
        message_id: '4385062',
        user_sms_id,
        country: 'UZ',
        phone_number: '998901234567',
        sms_count: '1',
        status,
        status_date: '2026-11-24 10:00:00',
      })
    const wrong = await hook('DELIVRD', 'wh_wrong-token-wrong-token-wrong')
    assert.equal(wrong.statusCode, 403)
    assert.equal(wrong.json().code, 'WEBHOOK_FORBIDDEN')
    const none = await post(ta.app, '/api/v1/webhooks/eskiz/status', {
      user_sms_id: first.id,
      status: 'DELIVRD',
    })
    assert.equal(none.statusCode, 403)
    assert.equal((await row()).status, 'queued')

    assert.equal((await hook('DELIVRD')).statusCode, 200)
    assert.equal((await row()).status, 'delivered')
    const deliveredAt = (await row()).delivered_at
    assert.ok(deliveredAt)
    assert.equal((await hook('sent')).statusCode, 200)
    assert.equal((await hook('DELIVRD')).statusCode, 200)
    assert.equal((await hook('UNDELIV')).statusCode, 200)
    const after = await row()
    assert.equal(after.status, 'delivered', 'delivered stays delivered')
    assert.equal(after.delivered_at, deliveredAt)
    assert.deepEqual(
      (await receipts()).map((r) => [r.raw_status, r.status]),
      [
        ['DELIVRD', 'delivered'],
        ['sent', 'sent'],
        ['UNDELIV', 'undelivered'],
      ],
    )
    // A message we never sent is acknowledged and nothing is created.
    const unknown = await hook('DELIVRD', TOKEN, 'no-such-message')
    assert.equal(unknown.statusCode, 200)
    assert.equal((await receipts()).length, 3)
    assert.ok(!ta.logs.text().includes(TOKEN), 'the webhook token never reaches the log')
  })

  test(`[${backend.name}] Playmobile reports (batch, form of its own) and Eskiz spellings map onto one set`, {
    skip: backend.skip,
  }, async (t) => {
    const { ta, row } = await sentThrough(t, 'playmobile', await backend.env(t))
    const first = await row()
    const res = await post(ta.app, `/api/v1/webhooks/playmobile/status?token=${TOKEN}`, {
      messages: [
        { 'message-id': first.id, status: 'Transmitted' },
        { 'message-id': 'unknown-id', status: 'Delivered' },
      ],
    })
    assert.equal(res.statusCode, 200)
    assert.equal((await row()).status, 'sent')
    await post(ta.app, `/api/v1/webhooks/playmobile/status?token=${TOKEN}`, {
      messages: [{ 'message-id': first.id, status: 'NotDelivered', 'error-code': '5' }],
    })
    const after = await row()
    assert.equal(after.status, 'undelivered')
    assert.equal(after.error_code, '5')
    assert.ok(after.failed_at)
    assert.equal(
      (await post(ta.app, `/api/v1/webhooks/playmobile/status?token=${TOKEN.slice(1)}`, {})).statusCode,
      403,
    )
  })
}

test('Eskiz status spellings: every documented one is accepted', async () => {
  const { mapReceiptStatus } = await import('../../src/sms/receipts.js')
  const cases: Record<string, string> = {
    DELIVRD: 'delivered',
    DELIVERED: 'delivered',
    delivered: 'delivered',
    UNDELIV: 'undelivered',
    UNDELIVERABLE: 'undelivered',
    EXPIRED: 'undelivered',
    REJECTD: 'failed',
    REJECTED: 'failed',
    DELETED: 'failed',
    ACCEPTED: 'sent',
    ENROUTE: 'sent',
    PARTDELIVERED: 'sent',
    NEW: 'queued',
    STORED: 'queued',
  }
  for (const [raw, mapped] of Object.entries(cases)) assert.equal(mapReceiptStatus('eskiz', raw), mapped, raw)
  assert.equal(mapReceiptStatus('eskiz', 'UNKNOWN'), null)
  assert.equal(mapReceiptStatus('twilio', 'undelivered'), 'undelivered')
  assert.equal(mapReceiptStatus('twilio', 'canceled'), 'failed')
})

test('Eskiz callbacks may come as a form; the API routes still refuse form bodies with 415', async (t) => {
  const { ta, row, first } = await sentThrough(t, 'eskiz', {})
  const res = await ta.app.inject({
    method: 'POST',
    url: `/api/v1/webhooks/eskiz/status?token=${TOKEN}`,
    payload: form({ user_sms_id: first.id, status: 'DELIVERED', total_price: '85' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  assert.equal(res.statusCode, 200)
  const after = await row()
  assert.equal(after.status, 'delivered')
  assert.deepEqual([after.cost, after.currency, after.price_source], [85, 'UZS', 'provider'])

  const api = await ta.app.inject({
    method: 'POST',
    url: '/api/v1/auth/send-otp',
    payload: form({ phone: PHONE }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  assert.equal(api.statusCode, 415)
  assert.equal(api.json().code, 'UNSUPPORTED_MEDIA_TYPE')
})

test('without PUBLIC_BASE_URL or WEBHOOK_TOKEN the webhooks refuse everything', async (t) => {
  const ta = await buildTestApp(t)
  const twilioHook = await ta.app.inject({
    method: 'POST',
    url: TWILIO_HOOK,
    payload: form({ MessageSid: 'SM1', MessageStatus: 'delivered' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
  })
  assert.equal(twilioHook.statusCode, 403)
  const eskizHook = await post(ta.app, '/api/v1/webhooks/eskiz/status?token=', { status: 'DELIVRD' })
  assert.equal(eskizHook.statusCode, 403)
})

test('Twilio sends carry StatusCallback when PUBLIC_BASE_URL is set; its price is kept', async (t) => {
  const fake = await fakeGateway(t, [
    {
      status: 201,
      body: { sid: `SM${'a'.repeat(32)}`, status: 'queued', price: '-0.05300', price_unit: 'USD' },
    },
  ])
  const provider = twilioProvider(fake.url, { statusCallback: `${BASE}${TWILIO_HOOK}` }, 2000)
  const result = await provider.send({ to: PHONE, text: 'x', messageId: 'id' }, AbortSignal.timeout(2000))
  assert.deepEqual(result.price, { amount: 0.053, currency: 'USD' })
  const sent = new URLSearchParams(fake.received[0]?.body)
  assert.equal(sent.get('StatusCallback'), `${BASE}${TWILIO_HOOK}`)
  assert.equal(sent.get('To'), PHONE)
})
