import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { configProblems, STRONG_SECRET } from '../helpers.js'

// Production refuses weak keys (a repeated character), so the tests use a random-looking one.
const SECRET_KEY = STRONG_SECRET

const problems = configProblems

const GATEWAYS: Record<string, Record<string, string>> = {
  eskiz: { ESKIZ_ENABLED: 'true', ESKIZ_EMAIL: 'ops@royaltaxi.uz', ESKIZ_PASSWORD: 'pw-secret-1' },
  playmobile: { PLAYMOBILE_ENABLED: 'true', PLAYMOBILE_LOGIN: 'rt', PLAYMOBILE_PASSWORD: 'pw-secret-2' },
  http: { HTTP_SMS_URL: 'https://sms.example.uz/send', HTTP_SMS_SECRET: 'pw-secret-3-0123456789' },
}

test('any real gateway ends development mode and satisfies production', () => {
  assert.equal(loadConfig({}).devMode, true)
  for (const [name, env] of Object.entries(GATEWAYS)) {
    const c = loadConfig({ APP_ENV: 'production', SECRET_KEY, ...env })
    assert.equal(c.devMode, false, name)
    assert.deepEqual(c.sms.enabled, [name])
  }
  assert.ok(
    problems({ APP_ENV: 'production', SECRET_KEY }).some((p) =>
      p.startsWith('SMS: no SMS provider is enabled'),
    ),
  )
})

test('each gateway names its missing settings, and secrets are never echoed', () => {
  const list = problems({
    ESKIZ_ENABLED: 'true',
    PLAYMOBILE_ENABLED: 'true',
    PLAYMOBILE_PASSWORD: 'pw-secret-2',
    HTTP_SMS_URL: 'https://sms.example.uz/send',
    WEBHOOK_TOKEN: 'short-secret',
  })
  for (const key of ['ESKIZ_EMAIL', 'ESKIZ_PASSWORD', 'PLAYMOBILE_LOGIN', 'HTTP_SMS_SECRET', 'WEBHOOK_TOKEN'])
    assert.ok(
      list.some((p) => p.startsWith(`${key}:`)),
      `${key} missing from ${list.join('\n')}`,
    )
  assert.ok(!list.join('\n').includes('short-secret'))
  assert.ok(!list.join('\n').includes('pw-secret-2'))
})

test('PUBLIC_BASE_URL with Eskiz needs WEBHOOK_TOKEN; the callback URLs are derived from it', () => {
  assert.ok(
    problems({ ...GATEWAYS.eskiz, PUBLIC_BASE_URL: 'https://auth.example' }).some((p) =>
      p.startsWith('WEBHOOK_TOKEN: required'),
    ),
  )
  const c = loadConfig({
    ...GATEWAYS.eskiz,
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: '0'.repeat(32),
    TWILIO_PHONE_NUMBER: '+15017122661',
    PUBLIC_BASE_URL: 'https://auth.example/',
    WEBHOOK_TOKEN: 'wh_0123456789abcdefghijklmnop',
  })
  assert.equal(
    c.sms.eskiz?.callbackUrl,
    'https://auth.example/api/v1/webhooks/eskiz/status?token=wh_0123456789abcdefghijklmnop',
  )
  assert.equal(c.sms.twilio?.statusCallback, 'https://auth.example/api/v1/webhooks/twilio/status')
  assert.deepEqual(c.sms.routes, { byCountry: { UZ: ['eskiz', 'twilio'] }, fallback: ['twilio', 'eskiz'] })
})

test('SMS_ROUTES: countries in any case, spaces allowed, * optional (then the default order abroad)', () => {
  const c = loadConfig({ ...GATEWAYS.eskiz, ...GATEWAYS.http, SMS_ROUTES: ' uz = http , eskiz ; kz=http' })
  assert.deepEqual(c.sms.routes, {
    byCountry: { UZ: ['http', 'eskiz'], KZ: ['http'] },
    fallback: ['http', 'eskiz'],
  })
  assert.ok(
    problems({ ...GATEWAYS.eskiz, SMS_ROUTES: 'UZ=eskiz,eskiz;nonsense' }).some((p) =>
      p.includes('named twice'),
    ),
  )
})
