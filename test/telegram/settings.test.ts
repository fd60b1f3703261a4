import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeRoutes } from '../../src/channels/index.js'
import { loadConfig } from '../../src/config.js'
import { cli, workspace } from '../cli/helpers.js'
import { configProblems, SECRET } from '../helpers.js'
import { fakeTelegram, TELEGRAM_TOKEN, telegramEnv } from '../sms/telegram-fake.js'

const base = { APP_ENV: 'test', SECRET_KEY: SECRET, DATABASE_URL: 'sqlite::memory:', LOG_FILE: '-' }
const tg = telegramEnv('https://gatewayapi.telegram.org')
const eskiz = { ESKIZ_ENABLED: 'true', ESKIZ_EMAIL: 'ops@royaltaxi.uz', ESKIZ_PASSWORD: 'secret-pass' }
const withToken = { WEBHOOK_TOKEN: 'wh_0123456789abcdefghijklmnop' }

test('SMS_ROUTES: a step may wait for its delivery report, in seconds or milliseconds', () => {
  const config = loadConfig({
    ...base,
    ...tg,
    ...eskiz,
    ...withToken,
    SMS_ROUTES: 'UZ=telegram(wait=12s),eskiz;KZ=telegram( wait = 1500ms ),eskiz;*=eskiz',
  })
  assert.deepEqual(config.sms.routes, {
    byCountry: { UZ: ['telegram', 'eskiz'], KZ: ['telegram', 'eskiz'] },
    fallback: ['eskiz'],
    waits: { UZ: { telegram: 12_000 }, KZ: { telegram: 1500 } },
  })
  assert.equal(
    describeRoutes(config.sms.routes),
    'UZ=telegram(wait=12s),eskiz; KZ=telegram(wait=1500ms),eskiz; *=eskiz',
  )
})

test('SMS_ROUTES: a wait on the last step, out of range, malformed, or without an https PUBLIC_BASE_URL', () => {
  const problems = (routes: string, extra: Record<string, string> = {}) =>
    configProblems({ ...base, ...tg, ...eskiz, ...withToken, SMS_ROUTES: routes, ...extra })
  assert.deepEqual(problems('UZ=eskiz,telegram(wait=12s)'), [
    'SMS_ROUTES: telegram waits for UZ but is its last step: nothing to fall back to',
  ])
  assert.deepEqual(problems('UZ=telegram(wait=0s),eskiz'), [
    'SMS_ROUTES: the wait of telegram for UZ must be 1s..600s',
  ])
  assert.deepEqual(problems('UZ=telegram(wait=soon),eskiz'), [
    'SMS_ROUTES: expected provider or provider(wait=12s) for UZ (got "telegram(wait=soon)")',
  ])
  assert.deepEqual(problems('UZ=telegram(wait=12s),eskiz', { PUBLIC_BASE_URL: 'http://auth.royaltaxi.uz' }), [
    'SMS_ROUTES: a step waits for its delivery report, but reports come back only to an https:// PUBLIC_BASE_URL (set it, or remove the wait)',
  ])
})

test('TELEGRAM_GATEWAY_TOKEN is required when enabled and never echoed in a start-up error', () => {
  assert.deepEqual(configProblems({ ...base, TELEGRAM_GATEWAY_ENABLED: 'true' }), [
    'TELEGRAM_GATEWAY_TOKEN: required when TELEGRAM_GATEWAY_ENABLED=true',
  ])
  const bad = configProblems({ ...base, ...tg, TELEGRAM_GATEWAY_API_BASE_URL: 'ftp://x' })
  assert.ok(bad.length === 1 && bad[0]?.startsWith('TELEGRAM_GATEWAY_API_BASE_URL'))
  assert.ok(!bad.join('\n').includes(TELEGRAM_TOKEN))
})

test('doctor: the token checked against the Gateway for free (checkVerificationStatus), a bad one a ❌', async (t) => {
  const fake = await fakeTelegram(t)
  const ws = workspace(t, telegramEnv(fake.url))
  const good = await cli(['doctor'], { envFile: ws.envFile })
  assert.match(good.stdout, /✅ .*Telegram Gateway accepted the token/)
  assert.match(
    good.stdout,
    /delivery reports come back to https:\/\/auth\.royaltaxi\.example\/api\/v1\/webhooks\/telegram\/status/,
  )
  assert.deepEqual(
    fake.calls.map((c) => [c.method, c.params.request_id]),
    [['checkverificationstatus', 'royal-taxi-doctor']],
  )
  ws.write(telegramEnv(fake.url, { TELEGRAM_GATEWAY_TOKEN: 'not-the-token' }))
  const bad = await cli(['doctor'], { envFile: ws.envFile })
  assert.notEqual(bad.code, 0)
  assert.match(bad.stdout, /❌ .*Telegram Gateway refused the token \(ACCESS_TOKEN_INVALID\)/)
  assert.ok(!bad.stdout.includes('not-the-token'))
  assert.equal(fake.calls.length, 2, 'the doctor sends no message')
})
