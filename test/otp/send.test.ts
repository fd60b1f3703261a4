import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BACKENDS, buildTestApp, countRedisWrites, post } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const PHONE = '+998901234567'
const UZ_BODY = (code: string, minutes = 5) =>
  `Royal Taxi tasdiqlash kodi: ${code}\nKod ${minutes} daqiqa davomida amal qiladi.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring.`

test('send-otp answers the exact Uzbek body and sends the three-line SMS', async (t) => {
  const ta = await buildTestApp(t)
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200)
  const code = ta.sms.codeFor(PHONE)
  assert.deepEqual(res.json(), {
    message: 'Tasdiqlash kodi +998901234567 raqamiga yuborildi. Kod 5 daqiqa davomida amal qiladi.',
    phone: PHONE,
    expires_in: 300,
    channel: 'sms',
    otp_code: code,
  })
  assert.equal(ta.sms.sent[0]?.text, UZ_BODY(code))
  assert.match(code, /^\d{6}$/)
})

test('the minutes in both texts follow OTP_TTL_SECONDS, the digits OTP_LENGTH', async (t) => {
  const ta = await buildTestApp(t, { env: { OTP_TTL_SECONDS: '600', OTP_LENGTH: '8' } })
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(
    res.json().message,
    `Tasdiqlash kodi ${PHONE} raqamiga yuborildi. Kod 10 daqiqa davomida amal qiladi.`,
  )
  assert.equal(res.json().expires_in, 600)
  const code = ta.sms.codeFor(PHONE)
  assert.match(code, /^\d{8}$/)
  assert.equal(ta.sms.sent[0]?.text, UZ_BODY(code, 10))
})

test('Russian and English texts by Accept-Language or the body language field', async (t) => {
  const ta = await buildTestApp(t, { env: { OTP_RESEND_SECONDS: '0' } })
  const ru = await post(ta.app, SEND, { phone: PHONE }, { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' })
  assert.equal(ru.json().message, `Код подтверждения отправлен на номер ${PHONE}. Код действителен 5 минут.`)
  const ruCode = ta.sms.codeFor(PHONE)
  assert.equal(
    ta.sms.sent.at(-1)?.text,
    `Код подтверждения Royal Taxi: ${ruCode}\nКод действителен 5 минут.\nЕсли вы не запрашивали этот код, проигнорируйте это сообщение.`,
  )
  const en = await post(ta.app, SEND, { phone: PHONE, language: 'en' }, { 'accept-language': 'ru' })
  assert.equal(en.json().message, `Verification code sent to ${PHONE}. The code is valid for 5 minutes.`)
  assert.equal(
    ta.sms.sent.at(-1)?.text,
    `Royal Taxi verification code: ${ta.sms.codeFor(PHONE)}\nThe code is valid for 5 minutes.\nIf you did not request this code, please ignore this message.`,
  )
  const fallback = await post(ta.app, SEND, { phone: PHONE }, { 'accept-language': 'de-DE, fr;q=0.8' })
  assert.match(fallback.json().message, /^Tasdiqlash kodi/)
})

test('phone input is normalised to E.164', async (t) => {
  const ta = await buildTestApp(t, { env: { OTP_RESEND_SECONDS: '0' } })
  for (const input of ['998901234567', '+998 90 123-45-67', '+998 (90) 123 45 67']) {
    const res = await post(ta.app, SEND, { phone: input })
    assert.equal(res.statusCode, 200, input)
    assert.equal(res.json().phone, PHONE)
  }
  assert.deepEqual(
    ta.sms.sent.map((m) => m.to),
    [PHONE, PHONE, PHONE],
  )
})

test('invalid numbers get 422 INVALID_PHONE with the expected format; nothing is sent', async (t) => {
  const ta = await buildTestApp(t)
  for (const input of [
    '+998711234567',
    '+99890123456',
    '+9989012345678',
    'hello',
    '+998 90 ١٢٣ ٤٥ ٦٧',
    '',
    '1',
  ]) {
    const res = await post(ta.app, SEND, { phone: input })
    assert.ok([422].includes(res.statusCode), `${input}: ${res.statusCode}`)
    const body = res.json()
    assert.ok(['INVALID_PHONE', 'VALIDATION_ERROR'].includes(body.code), input)
    if (body.code === 'INVALID_PHONE') assert.match(body.detail, /\+998901234567/)
  }
  const en = await post(ta.app, SEND, { phone: '+998711234567', language: 'en' })
  assert.deepEqual(en.json(), {
    detail: 'Invalid phone number. Enter it as +998901234567.',
    code: 'INVALID_PHONE',
    expected_format: '+998901234567',
  })
  assert.equal(ta.sms.sent.length, 0)
})

test('numbers outside ALLOWED_COUNTRIES get 422 COUNTRY_NOT_ALLOWED; * allows them', async (t) => {
  const ta = await buildTestApp(t)
  const res = await post(ta.app, SEND, { phone: '+79161234567' })
  assert.equal(res.statusCode, 422)
  assert.equal(res.json().code, 'COUNTRY_NOT_ALLOWED')
  assert.equal(ta.sms.sent.length, 0)

  const open = await buildTestApp(t, { env: { ALLOWED_COUNTRIES: '*' } })
  assert.equal((await post(open.app, SEND, { phone: '+79161234567' })).statusCode, 200)
  const some = await buildTestApp(t, { env: { ALLOWED_COUNTRIES: 'UZ, ru' } })
  assert.equal((await post(some.app, SEND, { phone: '+79161234567' })).statusCode, 200)
  assert.equal((await post(some.app, SEND, { phone: '+12025550123' })).json().code, 'COUNTRY_NOT_ALLOWED')
})

test('a second code within OTP_RESEND_SECONDS gets 429 with Retry-After', async (t) => {
  const ta = await buildTestApp(t)
  assert.equal((await post(ta.app, SEND, { phone: PHONE })).statusCode, 200)
  const again = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(again.statusCode, 429)
  assert.equal(again.json().code, 'OTP_RESEND_COOLDOWN')
  const retryAfter = Number(again.headers['retry-after'])
  assert.ok(retryAfter > 0 && retryAfter <= 60, String(retryAfter))
  assert.equal(ta.sms.sent.length, 1)
})

test('a sixth request from one IP within a minute gets 429 RATE_LIMITED', async (t) => {
  const ta = await buildTestApp(t)
  const statuses = []
  for (let i = 0; i < 6; i++) {
    const res = await ta.app.inject({
      method: 'POST',
      url: SEND,
      payload: { phone: `+99890123450${i}` },
      remoteAddress: '203.0.113.7',
    })
    statuses.push(res.statusCode)
    if (i === 5) {
      assert.equal(res.json().code, 'RATE_LIMITED')
      assert.ok(Number(res.headers['retry-after']) > 0)
    }
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429])
  const other = await ta.app.inject({
    method: 'POST',
    url: SEND,
    payload: { phone: '+998901234599' },
    remoteAddress: '203.0.113.8',
  })
  assert.equal(other.statusCode, 200)
})

test('X-Forwarded-For counts only with TRUST_PROXY', async (t) => {
  const direct = await buildTestApp(t, { env: { OTP_IP_LIMIT_PER_MINUTE: '1' } })
  const spoof = (app: typeof direct.app, i: number) =>
    app.inject({
      method: 'POST',
      url: SEND,
      payload: { phone: `+99890123451${i}` },
      headers: { 'x-forwarded-for': `198.51.100.${i}` },
    })
  assert.equal((await spoof(direct.app, 1)).statusCode, 200)
  assert.equal((await spoof(direct.app, 2)).statusCode, 429, 'a forged header must not buy new IP quota')

  const proxied = await buildTestApp(t, { env: { OTP_IP_LIMIT_PER_MINUTE: '1', TRUST_PROXY: 'true' } })
  assert.equal((await spoof(proxied.app, 1)).statusCode, 200)
  assert.equal((await spoof(proxied.app, 2)).statusCode, 200)
})

test('a new code replaces the previous one', async (t) => {
  const ta = await buildTestApp(t, { env: { OTP_RESEND_SECONDS: '0' } })
  await post(ta.app, SEND, { phone: PHONE })
  const first = ta.sms.codeFor(PHONE)
  await post(ta.app, SEND, { phone: PHONE })
  const second = ta.sms.codeFor(PHONE)
  if (first !== second) {
    const old = await post(ta.app, VERIFY, { phone: PHONE, code: first })
    assert.equal(old.json().code, 'OTP_INVALID')
  }
  assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code: second })).statusCode, 200)
})

test('every send is recorded in the SMS log', async (t) => {
  const ta = await buildTestApp(t)
  await post(ta.app, SEND, { phone: '+998931234567' })
  const rows = await ta.app.storage.db.db.selectFrom('sms_log').selectAll().execute()
  assert.equal(rows.length, 1)
  const row = rows[0]
  assert.ok(row)
  assert.equal(row.phone, '+998931234567')
  assert.equal(row.country, 'UZ')
  assert.equal(row.operator, 'Ucell')
  assert.equal(row.provider, 'fake')
  assert.equal(row.provider_message_id, 'FAKE1')
  assert.equal(row.status, 'queued')
  assert.equal(row.error_code, null)
  assert.ok(row.created_at > 0)
})

for (const [kind, status, code] of [
  ['invalid_recipient', 422, 'INVALID_PHONE'],
  ['auth_failed', 503, 'SMS_UNAVAILABLE'],
  ['quota_exhausted', 503, 'SMS_UNAVAILABLE'],
  ['unavailable', 503, 'SMS_UNAVAILABLE'],
] as const) {
  test(`a gateway failure (${kind}) answers ${status} ${code}, discards the code and starts no cooldown`, async (t) => {
    const ta = await buildTestApp(t)
    ta.sms.fail(kind, 'gateway says no')
    const res = await post(ta.app, SEND, { phone: PHONE })
    assert.equal(res.statusCode, status)
    assert.equal(res.json().code, code)
    assert.ok(!res.body.includes('gateway says no'), 'the gateway message stays in the log')
    const rows = await ta.app.storage.db.db.selectFrom('sms_log').selectAll().execute()
    assert.equal(rows[0]?.status, 'failed')
    assert.equal(rows[0]?.error_code, kind)
    assert.equal(rows[0]?.error_message, 'gateway says no')
    // The discarded code cannot be verified, whatever it was.
    assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code: '000000' })).json().code, 'OTP_EXPIRED')
    ta.sms.failWith = null
    assert.equal(
      (await post(ta.app, SEND, { phone: PHONE })).statusCode,
      200,
      'no cooldown after a failed send',
    )
  })
}

test('a gateway that does not answer within SMS_TIMEOUT_MS gives 503', async (t) => {
  const ta = await buildTestApp(t, { env: { SMS_TIMEOUT_MS: '150' } })
  ta.sms.delayMs = 5000
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().code, 'SMS_UNAVAILABLE')
})

test('development mode logs the code once, in the 📱 line only', async (t) => {
  const ta = await buildTestApp(t)
  await post(ta.app, SEND, { phone: PHONE })
  const code = ta.sms.codeFor(PHONE)
  assert.ok(ta.logs.messages().includes(`📱 OTP for ${PHONE}: ${code}`))
  const withCode = ta.logs.raw.filter((l) => l.includes(code))
  assert.equal(withCode.length, 1, withCode.join('\n'))
})

test('with a real provider the code is neither in the response nor in any log line', async (t) => {
  const ta = await buildTestApp(t, {
    env: {
      TWILIO_ENABLED: 'true',
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'b'.repeat(32),
      TWILIO_PHONE_NUMBER: '+15005550006',
    },
  })
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().otp_code, undefined)
  const code = ta.sms.codeFor(PHONE)
  assert.ok(!ta.logs.text().includes(code))
  assert.ok(!ta.logs.messages().some((m) => m.startsWith('📱')))
})

for (const backend of BACKENDS) {
  test(`[${backend.name}] 20 simultaneous requests for one number send exactly one code`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...(await backend.env(t)), OTP_IP_LIMIT_PER_MINUTE: '1000' } })
    const results = await Promise.all(Array.from({ length: 20 }, () => post(ta.app, SEND, { phone: PHONE })))
    const statuses = results.map((r) => r.statusCode).sort()
    assert.deepEqual(statuses, [200, ...Array(19).fill(429)])
    assert.equal(ta.sms.sent.length, 1)
  })

  test(`[${backend.name}] the per-IP limit holds under concurrency`, { skip: backend.skip }, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(ta.app, SEND, { phone: `+9989012345${String(i).padStart(2, '0')}` }),
      ),
    )
    assert.equal(results.filter((r) => r.statusCode === 200).length, 5)
    assert.equal(ta.sms.sent.length, 5)
  })

  if (backend.name === 'redis')
    test('[redis] a send-otp costs four round trips to Redis', { skip: backend.skip }, async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const counter = countRedisWrites(ta, t)
      for (const phone of [PHONE, '+998901234568', '+998901234569']) {
        const before = counter.writes
        const res = await post(ta.app, SEND, { phone })
        assert.equal(res.statusCode, 200, res.body)
        // The per-IP limit; the cooldown; the number's caps, the prefix's counter and its verified count in
        // one pipeline (rate-limiter-flexible's own read of a count would be a MULTI, written on its own);
        // the code.
        assert.equal(counter.writes - before, 4)
      }
    })
}
