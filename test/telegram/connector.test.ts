import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, post } from '../helpers.js'
import { fakeGateway } from '../sms/gateway-fakes.js'
import { type FakeTelegram, fakeTelegram, TELEGRAM_TOKEN, telegramEnv } from '../sms/telegram-fake.js'

const PHONE = '+998901234567'
const SEND = '/api/v1/auth/send-otp'
const REPORTS = '/api/v1/webhooks/telegram/status'

/** Telegram first (no wait: failover on errors only), the HTTP gateway second; both real providers on fakes. */
async function telegramThenSms(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const tg = await fakeTelegram(t)
  const http = await fakeGateway(t, [{ status: 200, body: { id: 'gw-1' } }])
  const ta = await buildTestApp(t, {
    configuredProviders: true,
    env: {
      ...telegramEnv(tg.url),
      HTTP_SMS_URL: `${http.url}/send`,
      HTTP_SMS_SECRET: 'http-gateway-secret-0123',
      SMS_ROUTES: 'UZ=telegram,http;*=http',
      // Long enough for a loaded test machine; the slow-gateway case answers later still.
      SMS_TIMEOUT_MS: '1500',
      OTP_RESEND_SECONDS: '0',
      ...env,
    },
  })
  const db = ta.app.storage.db.db
  const rows = () => db.selectFrom('sms_log').selectAll().orderBy('created_at').orderBy('attempt').execute()
  return { ta, tg, http, rows }
}

test('the code goes into Telegram: the exact request, the answer, the SMS-log row, and the code verifies', async (t) => {
  const g = await telegramThenSms(t)
  g.tg.onTelegram.add(PHONE)
  const res = await post(g.ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200, res.body)
  const [row] = await g.rows()
  assert.ok(row)
  assert.deepEqual(res.json(), {
    message:
      'Tasdiqlash kodi Telegram orqali yuborildi: +998901234567 raqamidagi Telegram hisobingizda "Verification Codes" chatini oching. Kod 5 daqiqa davomida amal qiladi.',
    phone: PHONE,
    expires_in: 300,
    channel: 'telegram',
  })
  assert.equal(g.tg.calls.length, 1)
  const call = g.tg.calls[0]
  assert.equal(call?.method, 'sendverificationmessage')
  assert.equal(call?.authorization, `Bearer ${TELEGRAM_TOKEN}`)
  const code = String(call?.params.code)
  assert.match(code, /^\d{6}$/)
  assert.deepEqual(call?.params, {
    phone_number: PHONE,
    code,
    ttl: 300,
    payload: row.id,
    callback_url: `https://auth.royaltaxi.example${REPORTS}`,
  })
  assert.equal(g.http.received.length, 0)
  assert.equal(row.provider, 'telegram')
  assert.equal(row.channel, 'telegram')
  assert.equal(row.status, 'sent')
  assert.equal(row.provider_message_id, 'tg-1')
  assert.deepEqual([row.cost, row.currency, row.cost_usd, row.price_source], [0.01, 'USD', 0.01, 'provider'])
  assert.equal(row.segments, 1)
  assert.equal(row.fallback, null)
  // The code Telegram carries is the one stored (checked below the sign-in, which has its own tests).
  assert.equal(await g.ta.app.otp.verify(PHONE, code, '127.0.0.1', async () => 'signed in'), 'signed in')
  assert.ok(!g.ta.logs.text().includes(TELEGRAM_TOKEN), 'the token reached a log line')
})

/** Waits until the fake has been called `method` (the call after a sign-in is not waited for by the service). */
async function calledWith(tg: FakeTelegram, method: string) {
  for (let i = 0; i < 100 && !tg.calls.some((c) => c.method === method); i++)
    await new Promise((r) => setTimeout(r, 20))
  return tg.calls.filter((c) => c.method === method)
}

test('a right code is reported to Telegram (checkVerificationStatus); a wrong one is not; Telegram down fails no sign-in', async (t) => {
  const g = await telegramThenSms(t)
  g.tg.onTelegram.add(PHONE)
  assert.equal((await post(g.ta.app, SEND, { phone: PHONE })).statusCode, 200)
  const code = String(g.tg.calls[0]?.params.code)
  const wrong = code === '000000' ? '111111' : '000000'
  assert.equal(
    (await post(g.ta.app, '/api/v1/auth/verify-otp', { phone: PHONE, code: wrong })).statusCode,
    400,
  )
  const ok = await post(g.ta.app, '/api/v1/auth/verify-otp', { phone: PHONE, code })
  assert.equal(ok.statusCode, 200, ok.body)
  const checks = await calledWith(g.tg, 'checkverificationstatus')
  assert.deepEqual(
    checks.map((c) => c.params),
    [{ request_id: 'tg-1', code }],
    'once, for the right code only, with the request that carried it',
  )

  // The next code goes by SMS at the user's wish: no Telegram request to report.
  const bySms = await post(g.ta.app, SEND, { phone: PHONE, channel: 'sms' })
  assert.equal(bySms.statusCode, 200)
  const smsText = (g.http.received[0]?.json as { text?: string } | undefined)?.text ?? ''
  const smsCode = /\d{6}/.exec(smsText)?.[0]
  assert.equal(
    (await post(g.ta.app, '/api/v1/auth/verify-otp', { phone: PHONE, code: smsCode })).statusCode,
    200,
  )

  // Telegram down after the send: the sign-in still succeeds, and the failure is a warning in the log.
  assert.equal((await post(g.ta.app, SEND, { phone: PHONE })).statusCode, 200)
  const third = String(g.tg.calls.at(-1)?.params.code)
  g.tg.httpStatus = 502
  const signedIn = await post(g.ta.app, '/api/v1/auth/verify-otp', { phone: PHONE, code: third })
  assert.equal(signedIn.statusCode, 200, signedIn.body)
  for (let i = 0; i < 100 && !g.ta.logs.text().includes('could not tell the gateway'); i++)
    await new Promise((r) => setTimeout(r, 20))
  assert.match(
    g.ta.logs.text(),
    /"level":40,[^\n]*"msg":"could not tell the gateway that the code sent to \+998901234567 was entered: Telegram Gateway answered 502/,
  )
  assert.equal((await calledWith(g.tg, 'checkverificationstatus')).length, 2, 'the SMS code was not reported')
  assert.ok(!g.ta.logs.text().includes(TELEGRAM_TOKEN), 'the token reached a log line')
})

test('the answer tells where to look in ru and en; an SMS answer keeps its text', async (t) => {
  const g = await telegramThenSms(t)
  g.tg.onTelegram.add(PHONE)
  const ru = await post(g.ta.app, SEND, { phone: PHONE, language: 'ru' })
  assert.equal(
    ru.json().message,
    'Код подтверждения отправлен в Telegram: откройте чат «Verification Codes» в Telegram номера +998901234567. Код действителен 5 минут.',
  )
  const en = await post(g.ta.app, SEND, { phone: PHONE, language: 'en' })
  assert.equal(
    en.json().message,
    'Verification code sent via Telegram: open the "Verification Codes" chat in the Telegram account of +998901234567. The code is valid for 5 minutes.',
  )
  const sms = await post(g.ta.app, SEND, { phone: PHONE, language: 'en', channel: 'sms' })
  assert.equal(
    sms.json().message,
    'Verification code sent to +998901234567. The code is valid for 5 minutes.',
  )
  assert.equal(sms.json().channel, 'sms')
})

test('"channel": "sms" tries no Telegram step; an unknown channel is a 422 naming the field', async (t) => {
  const g = await telegramThenSms(t)
  g.tg.onTelegram.add(PHONE)
  const res = await post(g.ta.app, SEND, { phone: PHONE, channel: 'sms' })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().channel, 'sms')
  assert.equal(g.tg.calls.length, 0)
  assert.equal(g.http.received.length, 1)
  for (const channel of ['whatsapp', 'SMS', 7, null]) {
    const bad = await post(g.ta.app, SEND, { phone: PHONE, channel })
    assert.equal(bad.statusCode, 422, bad.body)
    assert.equal(bad.json().code, 'VALIDATION_ERROR')
    assert.equal(bad.json().errors[0].field, 'channel')
    assert.equal(bad.json().detail, "Kanal telegram yoki sms bo'lishi kerak.")
  }
  assert.equal(g.tg.calls.length, 0)
})

for (const [what, prepare, kind] of [
  ['has no Telegram account', () => {}, 'cannot_receive'],
  [
    'is answered by a down gateway (502)',
    (tg) => {
      tg.httpStatus = 502
    },
    'unavailable',
  ],
  [
    'meets a gateway slower than SMS_TIMEOUT_MS',
    (tg) => {
      tg.delayMs = 2500
    },
    'unavailable',
  ],
  [
    'meets an empty balance',
    (tg) => {
      tg.balance = 0
    },
    'quota_exhausted',
  ],
] as const satisfies readonly [string, (tg: Awaited<ReturnType<typeof fakeTelegram>>) => void, string][]) {
  test(`a number that ${what} gets the code by SMS at once (${kind})`, async (t) => {
    const g = await telegramThenSms(t)
    if (kind !== 'cannot_receive') g.tg.onTelegram.add(PHONE)
    prepare(g.tg)
    const res = await post(g.ta.app, SEND, { phone: PHONE })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().channel, 'sms')
    const rows = await g.rows()
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.provider, r.channel, r.status, r.error_code, r.fallback]),
      [
        [1, 'telegram', 'telegram', 'failed', kind, null],
        [2, 'http', 'sms', 'queued', null, 'error'],
      ],
    )
    // Refused or unreachable, nothing was delivered through Telegram: no charge.
    if (kind !== 'unavailable' || what.includes('502')) assert.equal(rows[0]?.cost_usd, 0)
    const sms = (g.http.received[0]?.json as { text: string } | undefined)?.text ?? ''
    assert.match(sms, /Royal Taxi tasdiqlash kodi: \d{6}/)
    // A number Telegram cannot reach says nothing bad about Telegram: its circuit stays closed.
    if (kind === 'cannot_receive') assert.equal(g.ta.app.sms.circuits.isOpen('telegram'), false)
  })
}

test('a bad token (ACCESS_TOKEN_INVALID) fails over as a configuration fault', async (t) => {
  const g = await telegramThenSms(t, { TELEGRAM_GATEWAY_TOKEN: 'wrong-token' })
  g.tg.onTelegram.add(PHONE)
  const res = await post(g.ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200, res.body)
  const [first] = await g.rows()
  assert.deepEqual([first?.error_code, first?.error_message], ['auth_failed', 'ACCESS_TOKEN_INVALID'])
  assert.ok(!g.ta.logs.text().includes('wrong-token'))
})

test('checkSendAbility when enabled: the send after it carries its request_id and costs nothing more', async (t) => {
  const g = await telegramThenSms(t, { TELEGRAM_GATEWAY_CHECK_ABILITY: 'true' })
  g.tg.onTelegram.add(PHONE)
  const res = await post(g.ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(
    g.tg.calls.map((c) => c.method),
    ['checksendability', 'sendverificationmessage'],
  )
  assert.equal(g.tg.calls[1]?.params.request_id, 'tg-1')
  const [row] = await g.rows()
  assert.equal(row?.cost_usd, 0.01)
  // A number that cannot receive is told by the check, and goes to SMS without a send.
  const other = '+998901234568'
  const second = await post(g.ta.app, SEND, { phone: other })
  assert.equal(second.json().channel, 'sms')
  assert.equal(g.tg.calls.at(-1)?.method, 'checksendability')
})
