import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SmsProvider } from '../../src/channels/provider.js'
import { buildTestApp, FakeSms, post } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'

/** The value of one sample line of the exposition text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function scrape(app: Awaited<ReturnType<typeof buildTestApp>>['app'], headers = {}) {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers })
  assert.equal(res.statusCode, 200, res.body)
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  return res.body
}

test('/metrics counts codes sent, verified, failed and rate-limited after real requests', async (t) => {
  const ta = await buildTestApp(t)
  const phone = '+998901234567'
  assert.equal((await post(ta.app, SEND, { phone })).statusCode, 200)
  assert.equal((await post(ta.app, SEND, { phone })).statusCode, 429) // resend cooldown
  assert.equal((await post(ta.app, SEND, { phone: '+79161234567' })).statusCode, 422) // country
  const wrong = ta.sms.codeFor(phone) === '000000' ? '111111' : '000000'
  assert.equal((await post(ta.app, VERIFY, { phone, code: wrong })).statusCode, 400)
  assert.equal((await post(ta.app, VERIFY, { phone, code: ta.sms.codeFor(phone) })).statusCode, 200)

  const text = await scrape(ta.app)
  assert.equal(sample(text, 'otp_codes_sent_total'), 1)
  assert.equal(sample(text, 'otp_codes_verified_total'), 1)
  assert.equal(sample(text, 'otp_rate_limited_total{stage="send",code="OTP_RESEND_COOLDOWN"}'), 1)
  assert.equal(sample(text, 'otp_codes_failed_total{stage="send",code="COUNTRY_NOT_ALLOWED"}'), 1)
  assert.equal(sample(text, 'otp_codes_failed_total{stage="verify",code="OTP_INVALID"}'), 1)
  // One gateway call, accepted, to Uzbekistan, and its latency observed once.
  assert.equal(sample(text, 'sms_attempts_total{provider="fake",country="UZ",outcome="accepted"}'), 1)
  assert.equal(sample(text, 'sms_provider_duration_seconds_count{provider="fake"}'), 1)
  // HTTP durations by route pattern and status.
  assert.equal(
    sample(
      text,
      'http_request_duration_seconds_count{method="POST",route="/api/v1/auth/send-otp",status_code="200"}',
    ),
    1,
  )
  assert.equal(
    sample(
      text,
      'http_request_duration_seconds_count{method="POST",route="/api/v1/auth/send-otp",status_code="429"}',
    ),
    1,
  )
  // The default Node process metrics are there too.
  assert.ok(sample(text, 'process_cpu_user_seconds_total') !== undefined)
  assert.match(text, /^nodejs_eventloop_lag_seconds /m)
  // Process-wide counters registered in prom-client's default registry (the abuse guard's) too.
  assert.match(text, /^# TYPE royal_taxi_abuse_rejections_total counter$/m)
})

test('HTTP metrics use the route pattern, never the raw URL', async (t) => {
  const ta = await buildTestApp(t)
  for (const path of ['/nope/1', '/nope/2', '/wp-admin.php?x=1']) {
    assert.equal((await ta.app.inject({ method: 'GET', url: path })).statusCode, 404)
  }
  await ta.app.inject({ method: 'GET', url: '/health?probe=1' })
  const text = await scrape(ta.app)
  assert.equal(
    sample(text, 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'),
    3,
  )
  assert.equal(
    sample(text, 'http_request_duration_seconds_count{method="GET",route="/health",status_code="200"}'),
    1,
  )
  assert.doesNotMatch(text, /nope|wp-admin|probe/)
})

test('SMS attempts are counted per provider and outcome across a failover', async (t) => {
  const down = new FakeSms('primary')
  down.fail('unavailable')
  const backup = new FakeSms('backup')
  const ta = await buildTestApp(t, { providers: [down, backup] })
  assert.equal((await post(ta.app, SEND, { phone: '+998931234567' })).statusCode, 200)
  backup.fail('invalid_recipient')
  assert.equal((await post(ta.app, SEND, { phone: '+998941234567' })).statusCode, 422)

  const text = await scrape(ta.app)
  assert.equal(sample(text, 'sms_attempts_total{provider="primary",country="UZ",outcome="unavailable"}'), 2)
  assert.equal(sample(text, 'sms_attempts_total{provider="backup",country="UZ",outcome="accepted"}'), 1)
  assert.equal(
    sample(text, 'sms_attempts_total{provider="backup",country="UZ",outcome="invalid_recipient"}'),
    1,
  )
  assert.equal(sample(text, 'sms_provider_duration_seconds_count{provider="primary"}'), 2)
  assert.equal(sample(text, 'otp_codes_sent_total'), 1)
  assert.equal(sample(text, 'otp_codes_failed_total{stage="send",code="INVALID_PHONE"}'), 1)
})

test('each app has its own counters', async (t) => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t)
  await post(a.app, SEND, { phone: '+998901234567' })
  assert.equal(sample(await scrape(a.app), 'otp_codes_sent_total'), 1)
  assert.equal(sample(await scrape(b.app), 'otp_codes_sent_total'), 0)
})

test('METRICS_TOKEN protects /metrics: 401 METRICS_UNAUTHORIZED without the right Bearer token', async (t) => {
  const token = 'metrics-token-0123456789abcdef'
  const ta = await buildTestApp(t, { env: { METRICS_TOKEN: token } })
  for (const headers of [
    {},
    { authorization: 'Bearer wrong-token-0123456789abcdef' },
    { authorization: `Basic ${token}` },
    { authorization: `Bearer ${token}x` },
  ]) {
    const res = await ta.app.inject({ method: 'GET', url: '/metrics', headers })
    assert.equal(res.statusCode, 401, JSON.stringify(headers))
    assert.equal(res.json().code, 'METRICS_UNAUTHORIZED')
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"')
    assert.doesNotMatch(res.body, /otp_codes_sent_total/)
  }
  const en = await ta.app.inject({ method: 'GET', url: '/metrics', headers: { 'accept-language': 'en' } })
  assert.equal(
    en.json().detail,
    'Missing or wrong metrics token: send Authorization: Bearer <METRICS_TOKEN>.',
  )
  const text = await scrape(ta.app, { authorization: `Bearer ${token}` })
  assert.match(text, /^# TYPE otp_codes_sent_total counter$/m)
})

test('/metrics is not in the OpenAPI document', async (t) => {
  const ta = await buildTestApp(t)
  const doc = (await ta.app.inject({ method: 'GET', url: '/openapi.json' })).json()
  assert.equal(doc.paths['/metrics'], undefined)
})

test('sms_cost_usd_total adds the price table estimate, or the price the gateway reported', async (t) => {
  const twilio = new FakeSms('twilio')
  const eskiz: SmsProvider = {
    name: 'eskiz',
    send: async () => ({
      providerMessageId: 'E1',
      status: 'queued',
      price: { amount: 127, currency: 'UZS' },
    }),
  }
  const env = { ALLOWED_COUNTRIES: 'UZ,RU', UZS_PER_USD: '12700' }
  const local = await buildTestApp(t, { providers: [eskiz], env })
  assert.equal((await post(local.app, SEND, { phone: '+998901234567' })).statusCode, 200)
  const abroad = await buildTestApp(t, { providers: [twilio], env })
  assert.equal((await post(abroad.app, SEND, { phone: '+79161234567', language: 'en' })).statusCode, 200)
  const text = (await scrape(local.app)) + (await scrape(abroad.app))
  // Eskiz reported 127 so'm: $0.01 at 12,700 so'm a dollar.
  assert.equal(sample(text, 'sms_cost_usd_total{provider="eskiz",country="UZ"}'), 0.01)
  // Twilio to Russia: the table's $0.0117 for the one GSM-7 segment of the English code SMS.
  assert.equal(sample(text, 'sms_cost_usd_total{provider="twilio",country="RU"}'), 0.0117)
})
