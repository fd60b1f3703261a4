import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { register } from 'prom-client'
import { utcDay } from '../../src/abuse/days.js'
import { budgetPrice, UNKNOWN_PRICE_USD } from '../../src/abuse/guard.js'
import { BACKENDS, buildTestApp, FakeSms, LIVE_SMS, post, STRONG_SECRET, type TestApp } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const PHONE = '+998901234567'
/** Lifts the limits a test is not about. */
const OPEN = { OTP_RESEND_SECONDS: '0', OTP_IP_LIMIT_PER_MINUTE: '1000', VERIFY_IP_LIMIT_PER_MINUTE: '1000' }

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = register.getSingleMetric(name)
  if (!m) return 0
  const values = (await m.get()).values
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0)
}

const send = (ta: TestApp, phone = PHONE) => post(ta.app, SEND, { phone })

for (const backend of BACKENDS) {
  const name = (s: string) => `[${backend.name}] ${s}`
  const opts = { skip: backend.skip }

  test(
    name('per-number caps: OTP_MAX_PER_NUMBER_HOUR, then 429 OTP_NUMBER_LIMIT with the time left'),
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: { ...(await backend.env(t)), ...OPEN } })
      for (let i = 0; i < 5; i++) assert.equal((await send(ta)).statusCode, 200)
      const sixth = await send(ta)
      assert.equal(sixth.statusCode, 429)
      const body = sixth.json()
      assert.equal(body.code, 'OTP_NUMBER_LIMIT')
      assert.ok(body.retry_after > 0 && body.retry_after <= 3600, String(body.retry_after))
      assert.equal(sixth.headers['retry-after'], String(body.retry_after))
      assert.equal(ta.sms.sent.length, 5)
      assert.equal((await send(ta, '+998901234568')).statusCode, 200, 'another number is not held back')
    },
  )
}

test('OTP_MAX_PER_NUMBER_DAY caps a day; a send the gateway failed does not count', async (t) => {
  const ta = await buildTestApp(t, {
    env: { ...OPEN, OTP_MAX_PER_NUMBER_HOUR: '100', OTP_MAX_PER_NUMBER_DAY: '2' },
  })
  ta.sms.fail('unavailable')
  assert.equal((await send(ta)).statusCode, 503)
  ta.sms.failWith = null
  assert.equal((await send(ta)).statusCode, 200)
  assert.equal((await send(ta)).statusCode, 200)
  const third = await send(ta)
  assert.equal(third.json().code, 'OTP_NUMBER_LIMIT')
  assert.ok(third.json().retry_after > 3600, 'the day window, not the hour')
  assert.equal(ta.sms.sent.length, 2)
})

test('the cooldown is released when a cap refuses, so it does not stack on the cap', async (t) => {
  const ta = await buildTestApp(t, { env: { OTP_MAX_PER_NUMBER_HOUR: '1' } })
  assert.equal((await send(ta)).statusCode, 200)
  assert.equal((await send(ta)).json().code, 'OTP_RESEND_COOLDOWN')
})

test('SMS_DAILY_LIMIT stops sending with 503 SMS_BUDGET_EXCEEDED, one error line and a metric', async (t) => {
  const before = await metric('royal_taxi_sms_spending_cap_rejections_total', { cap: 'count' })
  const ta = await buildTestApp(t, { env: { ...OPEN, ...LIVE_SMS, SMS_DAILY_LIMIT: '2' }, keepDir: true })
  ta.sms.fail('unavailable')
  assert.equal((await send(ta, '+998901111111')).statusCode, 503, 'a failed send is not counted')
  ta.sms.failWith = null
  assert.equal((await send(ta, '+998901111111')).statusCode, 200)
  assert.equal((await send(ta, '+998902222222')).statusCode, 200)
  for (const phone of ['+998903333333', '+998904444444']) {
    const res = await send(ta, phone)
    assert.equal(res.statusCode, 503)
    assert.equal(res.json().code, 'SMS_BUDGET_EXCEEDED')
    assert.ok(res.json().retry_after > 0 && res.json().retry_after <= 86400)
  }
  assert.equal(ta.sms.sent.length, 2)
  const errors = ta.logs.lines.filter((l) => l.level === 50 && l.msg.startsWith('💸'))
  assert.equal(errors.length, 1, 'one error line, not one per refused request')
  assert.match(errors[0]?.msg ?? '', /SMS_DAILY_LIMIT=2/)
  assert.equal(await metric('royal_taxi_sms_spending_cap_rejections_total', { cap: 'count' }), before + 2)
  // Refused codes are not left pending.
  assert.equal((await ta.app.storage.db.db.selectFrom('otp_codes').select('phone').execute()).length, 2)

  // The operator raises the setting: the same day's count goes on from what was really sent.
  await ta.app.close()
  const raised = await buildTestApp(t, {
    env: { ...OPEN, ...LIVE_SMS, SMS_DAILY_LIMIT: '3' },
    dir: ta.dir,
  })
  assert.equal((await send(raised, '+998905555555')).statusCode, 200)
  assert.equal((await send(raised, '+998906666666')).json().code, 'SMS_BUDGET_EXCEEDED')
})

test('SMS_DAILY_BUDGET_USD stops sending when the estimated cost of the day would pass it', async (t) => {
  const priced: string[] = []
  const ta = await buildTestApp(t, {
    env: { ...OPEN, ...LIVE_SMS, SMS_DAILY_BUDGET_USD: '0.12' },
    smsPrice: (provider, country, text) => {
      priced.push(`${provider}/${country}/${text.split('\n')[0]?.replace(/\d+/, 'N')}`)
      return 0.05
    },
  })
  assert.equal((await send(ta, '+998901111111')).statusCode, 200)
  assert.equal((await send(ta, '+998902222222')).statusCode, 200)
  const third = await send(ta, '+998903333333')
  assert.equal(third.statusCode, 503)
  assert.equal(third.json().code, 'SMS_BUDGET_EXCEEDED')
  assert.equal(ta.sms.sent.length, 2)
  assert.deepEqual(
    priced,
    Array(3).fill('fake/UZ/Royal Taxi tasdiqlash kodi: N'),
    'priced with the very text sent',
  )
  assert.ok(ta.logs.lines.some((l) => l.level === 50 && /SMS_DAILY_BUDGET_USD=0.12/.test(l.msg)))
})

test('development mode does not count against the spending caps', async (t) => {
  const ta = await buildTestApp(t, { env: { ...OPEN, SMS_DAILY_LIMIT: '1', SMS_DAILY_BUDGET_USD: '0.01' } })
  assert.equal(ta.config.devMode, true)
  for (const phone of ['+998901111111', '+998902222222', '+998903333333'])
    assert.equal((await send(ta, phone)).statusCode, 200)
})

test('test numbers get their fixed code, no SMS, no SMS-log row and no limits', async (t) => {
  const TEST = '+998900000001'
  const ta = await buildTestApp(t, {
    env: {
      ...LIVE_SMS,
      TEST_OTP_NUMBERS: `${TEST}:111111, +998900000002:2222`,
      OTP_IP_LIMIT_PER_MINUTE: '1',
      OTP_MAX_PER_NUMBER_HOUR: '1',
      SMS_DAILY_LIMIT: '1',
      VERIFY_IP_LIMIT_PER_MINUTE: '1',
    },
  })
  for (let i = 0; i < 4; i++) {
    const res = await send(ta, TEST)
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().otp_code, undefined, 'not in the response outside development mode')
  }
  assert.equal(ta.sms.sent.length, 0)
  assert.equal((await ta.app.storage.db.db.selectFrom('sms_log').selectAll().execute()).length, 0)
  assert.equal((await post(ta.app, VERIFY, { phone: TEST, code: '000000' })).json().code, 'OTP_INVALID')
  const ok = await post(ta.app, VERIFY, { phone: TEST, code: '111111' })
  assert.equal(ok.statusCode, 200, ok.body)
  assert.equal(ok.json().user.phone, TEST)
  assert.ok(ta.logs.messages().some((m) => m.startsWith(`🧪 Test number ${TEST} used`)))
  // An ordinary number still meets every limit.
  assert.equal((await send(ta, PHONE)).statusCode, 200)
  assert.equal((await send(ta, '+998901234568')).json().code, 'RATE_LIMITED')
})

test('in production test numbers work only with ALLOW_TEST_NUMBERS_IN_PRODUCTION=true, and are logged', async (t) => {
  const TEST = '+998900000001'
  const prod = {
    ...LIVE_SMS,
    APP_ENV: 'production',
    SECRET_KEY: STRONG_SECRET,
    TEST_OTP_NUMBERS: `${TEST}:111111`,
  }
  const closed = await buildTestApp(t, { env: prod })
  assert.equal((await send(closed, TEST)).statusCode, 200)
  assert.equal(closed.sms.sent.length, 1, 'an ordinary number: the SMS is sent')
  assert.equal((await post(closed.app, VERIFY, { phone: TEST, code: '111111' })).statusCode, 400)
  assert.ok(closed.logs.messages().some((m) => m.includes('TEST_OTP_NUMBERS is ignored in production')))

  const open = await buildTestApp(t, { env: { ...prod, ALLOW_TEST_NUMBERS_IN_PRODUCTION: 'true' } })
  assert.equal((await send(open, TEST)).statusCode, 200)
  assert.equal(open.sms.sent.length, 0)
  assert.equal((await post(open.app, VERIFY, { phone: TEST, code: '111111' })).statusCode, 200)
  const uses = open.logs.lines.filter((l) => l.msg.startsWith('🧪 Test number'))
  assert.equal(uses.length, 2, 'send and verify are both logged')
  assert.ok(
    uses.every((l) => l.level === 40),
    'at warn level in production',
  )
})

test('OTP_MAX_FAILED_VERIFICATIONS_PER_DAY: then 429 OTP_VERIFY_LIMIT, even for the right code or a new one', async (t) => {
  const ta = await buildTestApp(t, {
    env: { ...OPEN, OTP_MAX_FAILED_VERIFICATIONS_PER_DAY: '3', OTP_MAX_ATTEMPTS: '10' },
  })
  await send(ta)
  const code = ta.sms.codeFor(PHONE)
  const wrong = code === '000000' ? '111111' : '000000'
  for (let i = 0; i < 3; i++)
    assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code: wrong })).json().code, 'OTP_INVALID')
  const right = await post(ta.app, VERIFY, { phone: PHONE, code })
  assert.equal(right.statusCode, 429)
  assert.equal(right.json().code, 'OTP_VERIFY_LIMIT')
  assert.ok(right.json().retry_after <= 86400)
  await send(ta)
  const fresh = await post(ta.app, VERIFY, { phone: PHONE, code: ta.sms.codeFor(PHONE) })
  assert.equal(fresh.json().code, 'OTP_VERIFY_LIMIT')
  // Other numbers are not affected.
  await send(ta, '+998901234568')
  const other = await post(ta.app, VERIFY, { phone: '+998901234568', code: ta.sms.codeFor('+998901234568') })
  assert.equal(other.statusCode, 200)
})

test('per-IP limits on verify-otp and refresh answer 429 RATE_LIMITED', async (t) => {
  const ta = await buildTestApp(t, {
    env: { OTP_RESEND_SECONDS: '0', VERIFY_IP_LIMIT_PER_MINUTE: '2', REFRESH_IP_LIMIT_PER_MINUTE: '1' },
  })
  await send(ta)
  const ip = (remoteAddress: string, url: string, payload: object) =>
    ta.app.inject({ method: 'POST', url, payload, remoteAddress })
  assert.equal((await ip('203.0.113.1', VERIFY, { phone: PHONE, code: '000001' })).statusCode, 400)
  const signedIn = await ip('203.0.113.1', VERIFY, { phone: PHONE, code: ta.sms.codeFor(PHONE) })
  assert.equal(signedIn.statusCode, 200)
  const third = await ip('203.0.113.1', VERIFY, { phone: PHONE, code: '000001' })
  assert.equal(third.statusCode, 429)
  assert.equal(third.json().code, 'RATE_LIMITED')
  assert.ok(Number(third.headers['retry-after']) > 0)
  assert.equal((await ip('203.0.113.2', VERIFY, { phone: PHONE, code: '000001' })).statusCode, 400)

  const refresh = '/api/v1/auth/refresh'
  const first = await ip('203.0.113.1', refresh, { refresh_token: signedIn.json().refresh_token })
  assert.equal(first.statusCode, 200)
  const second = await ip('203.0.113.1', refresh, { refresh_token: first.json().refresh_token })
  assert.equal(second.json().code, 'RATE_LIMITED')
  const elsewhere = await ip('203.0.113.3', refresh, { refresh_token: first.json().refresh_token })
  assert.equal(elsewhere.statusCode, 200, 'the refused request did not use up the token')
})

test('the budget counts each SMS at the price table (SMS_PRICES included) times its segments', async (t) => {
  const price = budgetPrice({ prices: [], uzsPerUsd: 12_500 })
  assert.equal(price('twilio', 'UZ', 'Royal Taxi: 123456'), 0.053)
  assert.equal(price('twilio', 'UZ', 'й'.repeat(71)), 0.106, 'two UCS-2 segments')
  assert.equal(price('eskiz', 'UZ', 'x'), 90 / 12_500, "so'm converted to dollars")
  assert.equal(price('http', 'UZ', 'x'), UNKNOWN_PRICE_USD, 'no known price still counts')

  // End to end: a gateway named twilio, $0.053 an Uzbek SMS, against a budget of $0.10.
  const twilio = new FakeSms('twilio')
  const ta = await buildTestApp(t, {
    env: { ...OPEN, ...LIVE_SMS, SMS_DAILY_BUDGET_USD: '0.1' },
    providers: [twilio],
  })
  assert.equal((await send(ta, '+998901111111')).statusCode, 200)
  assert.equal((await send(ta, '+998902222222')).json().code, 'SMS_BUDGET_EXCEEDED')
  const cheap = await buildTestApp(t, {
    env: { ...OPEN, ...LIVE_SMS, SMS_DAILY_BUDGET_USD: '0.1', SMS_PRICES: 'twilio:UZ=0.02 USD' },
    providers: [new FakeSms('twilio')],
  })
  for (let i = 1; i <= 5; i++) assert.equal((await send(cheap, `+99890111111${i}`)).statusCode, 200)
  assert.equal((await send(cheap, '+998901111116')).json().code, 'SMS_BUDGET_EXCEEDED')
})

test('a send refused by several caps at once leaves none of them counted', async (t) => {
  const ta = await buildTestApp(t, {
    env: { ...OPEN, OTP_MAX_PER_NUMBER_HOUR: '2', OTP_MAX_PER_NUMBER_DAY: '2' },
  })
  assert.equal((await send(ta)).statusCode, 200)
  assert.equal((await send(ta)).statusCode, 200)
  // Both caps are full: the hour's refuses first, and the day's refusal must be given back too.
  for (let i = 0; i < 3; i++) assert.equal((await send(ta)).json().code, 'OTP_NUMBER_LIMIT')
  const points = async (table: string, key: string) =>
    (
      await sql<{ points: number }>`select points from ${sql.table(table)} where key = ${key}`.execute(
        ta.app.storage.db.db,
      )
    ).rows[0]?.points
  assert.equal(await points('rate_limit_number', `otp_number_hour:${PHONE}`), 2)
  assert.equal(await points('rate_limit_number', `otp_number_day:${PHONE}`), 2)
  assert.equal(await points('rate_limit_otp_prefix_sent', '+998901234'), 2, 'nor the prefix counter')
})

test('the day of the caps is the UTC date, and turns at 00:00 UTC exactly', () => {
  const midnight = Date.UTC(2026, 10, 25)
  assert.equal(utcDay(midnight - 1), '2026-11-24')
  assert.equal(utcDay(midnight), '2026-11-25')
  assert.equal(utcDay(midnight - 1), '2026-11-24', 'an earlier time after a later one')
  assert.equal(utcDay(Date.UTC(2028, 1, 29, 12)), '2028-02-29')
  assert.equal(utcDay(0), '1970-01-01')
  assert.equal(utcDay(), new Date().toISOString().slice(0, 10))
})
