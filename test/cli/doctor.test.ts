import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { startPrismOn } from '../prism.js'
import { ESKIZ_SPEC, eskizEnv, eskizSkipReason, fakeGateway, localGatewaysEnv } from '../sms/gateway-fakes.js'
import { ACCOUNT_SID, AUTH_TOKEN, prismSkipReason, startPrism, twilioEnv } from '../sms/twilio-fakes.js'
import { cli, FakeTwilio, migrationNames, workspace } from './helpers.js'

interface JsonCheck {
  section: string
  status: 'ok' | 'warn' | 'fail'
  message: string
  fix?: string
}

async function doctor(envFile: string, env: Record<string, string> = {}) {
  const text = await cli(['doctor'], { envFile, env })
  const json = await cli(['doctor', '--json'], { envFile, env })
  assert.equal(json.code, text.code, 'text and JSON agree on the exit code')
  const report = JSON.parse(json.stdout) as { ok: boolean; checks: JsonCheck[] }
  assert.equal(report.ok, text.code === 0)
  const find = (re: RegExp) => report.checks.find((c) => re.test(c.message))
  return { ...text, checks: report.checks, find }
}

test('development mode: no provider is a warning, not a failure; exit 0', async (t) => {
  const ws = workspace(t)
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 0, r.stdout)
  assert.match(r.stdout, /✅ .*\.env parses: 3 setting\(s\)/)
  assert.match(r.stdout, /✅ the configuration is valid \(APP_ENV=development\)/)
  assert.match(r.stdout, /⚠️ +no SMS provider is enabled: development mode, codes are only written to the log/)
  assert.match(
    r.stdout,
    /fix: to send real SMS, enable a provider \(ESKIZ_ENABLED=true, PLAYMOBILE_ENABLED=true, HTTP_SMS_URL or TWILIO_ENABLED=true\)/,
  )
  assert.equal(r.find(/does not exist yet/)?.status, 'warn')
  assert.match(r.stdout, /No problems; \d warning\(s\)$/)
  assert.equal(r.stderr, '')
})

test('every configuration problem is a ❌ with its fix; the provider is not called', async (t) => {
  const ws = workspace(t, {
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: 'AC123',
    TWILIO_AUTH_TOKEN: 'secret-token-value',
    TWILIO_PHONE_NUMBER: '998901234567',
    LOG_LEVEL: 'loud',
  })
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  const sid = r.find(/^TWILIO_ACCOUNT_SID: expected AC followed by 32 hexadecimal digits/)
  assert.equal(sid?.status, 'fail')
  assert.equal(sid?.section, 'Twilio')
  assert.match(sid?.fix ?? '', /console\.twilio\.com/)
  const sender = r.find(/^TWILIO_PHONE_NUMBER: expected an E\.164 number/)
  assert.equal(sender?.status, 'fail')
  assert.match(sender?.fix ?? '', /E\.164/)
  const level = r.find(/^LOG_LEVEL: expected/)
  assert.equal(level?.section, 'Settings')
  assert.match(level?.fix ?? '', /correct LOG_LEVEL in/)
  assert.equal(r.find(/live check skipped: fix the Twilio settings/)?.status, 'warn')
  // The other checks still ran, with the broken settings left out.
  assert.equal(r.find(/does not exist yet/)?.section, 'Storage')
  assert.doesNotMatch(r.stdout + JSON.stringify(r.checks), /secret-token-value/)
  assert.match(r.stdout, /\d problem\(s\) to fix/)
})

test('a line that is not NAME=value fails; an unknown name is a warning with a guess', async (t) => {
  const ws = workspace(t)
  writeFileSync(
    ws.envFile,
    `DATABASE_URL=sqlite:${join(ws.dir, 'x.db')}\nMULTI="one\ntwo"\nTWILIO_AUTH_TOKEN abcdef\nLOG_LEVL=debug\n`,
  )
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  const bad = r.find(/is not NAME=value/)
  assert.equal(bad?.status, 'fail')
  assert.match(bad?.message ?? '', /^line 4 of .*\(it starts with "TWILIO_AUTH_TOKEN"\)/)
  assert.doesNotMatch(JSON.stringify(r.checks), /abcdef/, 'values are never echoed')
  assert.equal(
    r.find(/LOG_LEVL .* is not a setting of this service \(did you mean LOG_LEVEL\?\)/)?.status,
    'warn',
  )
  assert.equal(r.find(/MULTI/)?.status, 'warn')
})

test('a missing .env is a warning; settings from the environment that override the file are named', async (t) => {
  const missing = await doctor(join(workspace(t).dir, 'nope.env'), {
    DATABASE_URL: `sqlite:${join(workspace(t).dir, 'x.db')}`,
  })
  assert.equal(missing.code, 0)
  assert.equal(missing.find(/no settings file at/)?.status, 'warn')

  const ws = workspace(t, { LOG_LEVEL: 'info' })
  const r = await doctor(ws.envFile, { LOG_LEVEL: 'debug' })
  assert.match(r.find(/set in the process environment too/)?.message ?? '', /wins over .*: LOG_LEVEL$/)
})

test('Twilio live check against the Prism mock of the 2010 API: account, type and balance', {
  skip: prismSkipReason(),
}, async (t) => {
  const ws = workspace(t, twilioEnv(await startPrism(t)))
  const r = await doctor(ws.envFile)
  assert.equal(
    r.find(/^credentials are well-formed: Account SID AC0123…cdef, sender \+15005550006$/)?.status,
    'ok',
  )
  assert.equal(r.find(/^the Twilio account "friendly_name" answers: active, Full account$/)?.status, 'ok')
  // The contract's example balance is 0.05 USD.
  assert.equal(r.find(/^the Twilio balance is low: 0\.05 USD$/)?.status, 'warn')
  assert.equal(r.code, 0, r.stdout)
})

test('Twilio answering 401 (error 20003): "Account SID or Auth Token is wrong"; exit 1', async (t) => {
  const twilio = await new FakeTwilio().start(t)
  twilio.account = FakeTwilio.unauthorized()
  const ws = workspace(t, twilioEnv(twilio.url))
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  const check = r.find(/Account SID or Auth Token is wrong/)
  assert.equal(check?.message, 'Account SID or Auth Token is wrong: copy them again from the console')
  assert.equal(check?.status, 'fail')
  assert.equal(check?.section, 'Twilio')
  assert.match(r.stdout, /❌ Account SID or Auth Token is wrong: copy them again from the console/)
  // The exact request: the account resource under the configured base URL, with HTTP Basic credentials.
  const seen = twilio.requests[0]
  assert.equal(seen?.method, 'GET')
  assert.equal(seen?.path, `/2010-04-01/Accounts/${ACCOUNT_SID}.json`)
  assert.equal(seen?.user, ACCOUNT_SID)
  assert.equal(seen?.password, AUTH_TOKEN)
  assert.equal(r.find(/balance/), undefined, 'no balance check after a failed login')
})

test('Twilio trial, suspended and empty accounts are reported with what to do', async (t) => {
  const twilio = await new FakeTwilio().start(t)
  const ws = workspace(t, twilioEnv(twilio.url))

  twilio.account = { status: 200, body: { status: 'active', type: 'Trial', friendly_name: 'Dev' } }
  let r = await doctor(ws.envFile)
  assert.equal(r.find(/is a trial account: it sends only to verified numbers/)?.status, 'warn')
  assert.equal(r.find(/^the Twilio balance is 125\.50 USD$/)?.status, 'ok')
  assert.ok(twilio.requests.some((q) => q.path === `/2010-04-01/Accounts/${ACCOUNT_SID}/Balance.json`))
  assert.equal(r.code, 0)

  twilio.account = { status: 200, body: { status: 'suspended', type: 'Full', friendly_name: 'Prod' } }
  twilio.balance = { status: 200, body: { balance: '0.00', currency: 'USD' } }
  r = await doctor(ws.envFile)
  assert.equal(r.find(/is suspended: it cannot send/)?.status, 'fail')
  assert.equal(r.code, 1)

  twilio.account = { status: 200, body: { status: 'active', type: 'Full', friendly_name: 'Prod' } }
  r = await doctor(ws.envFile)
  assert.equal(r.find(/^the Twilio balance is 0\.00 USD: messages will be refused$/)?.status, 'fail')
  assert.equal(r.code, 1)
})

test('Twilio unreachable: a failure naming the base URL', async (t) => {
  const ws = workspace(t, twilioEnv('http://127.0.0.1:1'))
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  assert.match(r.find(/Twilio does not answer/)?.message ?? '', /at http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/)
})

test('the database: pending migrations are a warning, an unreachable PostgreSQL a failure', async (t) => {
  const ws = workspace(t)
  const status = await cli(['migrate', '--status'], { envFile: ws.envFile })
  assert.match(status.stderr, /^royal-taxi: SQLite .* does not exist yet: "royal-taxi migrate" creates it$/)
  new Database(join(ws.dir, 'test.db')).close() // an empty database
  let r = await doctor(ws.envFile)
  const names = await migrationNames()
  assert.equal(
    r.find(/migration\(s\) pending/)?.message,
    `${names.length} migration(s) pending: ${names.join(', ')}`,
  )
  assert.equal(r.find(/answers$/)?.section, 'Storage')

  assert.equal((await cli(['migrate'], { envFile: ws.envFile })).code, 0)
  r = await doctor(ws.envFile)
  assert.equal(r.find(/^all \d+ migration\(s\) applied$/)?.status, 'ok')

  ws.write({ DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/nowhere' })
  r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  const db = r.find(/PostgreSQL 127\.0\.0\.1:1\/nowhere does not answer: ECONNREFUSED/)
  assert.equal(db?.status, 'fail')
  assert.match(db?.fix ?? '', /start PostgreSQL, or correct/)
  assert.doesNotMatch(r.stdout, /hunter2/)
})

test('Redis: not configured is fine; configured but down is a failure', async (t) => {
  const ws = workspace(t, { REDIS_URL: 'redis://127.0.0.1:1' })
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  assert.match(
    r.find(/^Redis at 127\.0\.0\.1:1 does not answer/)?.fix ?? '',
    /start Redis, or correct REDIS_URL/,
  )
})

test('Redis and PostgreSQL that answer', {
  skip: !process.env.REDIS_URL && 'REDIS_URL is not set',
}, async (t) => {
  const ws = workspace(t, {
    REDIS_URL: process.env.REDIS_URL as string,
    ...(process.env.DATABASE_URL?.startsWith('postgres') ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  })
  const r = await doctor(ws.envFile)
  assert.equal(r.find(/^Redis at .* answers$/)?.status, 'ok')
  if (process.env.DATABASE_URL?.startsWith('postgres'))
    assert.equal(r.find(/^PostgreSQL .* answers$/)?.status, 'ok')
})

test('production without METRICS_TOKEN warns; routes cover ALLOWED_COUNTRIES; a country without a price warns', async (t) => {
  const twilio = await new FakeTwilio().start(t)
  const ws = workspace(t, {
    ...twilioEnv(twilio.url),
    APP_ENV: 'production',
    ALLOWED_COUNTRIES: 'UZ,KZ',
  })
  const r = await doctor(ws.envFile)
  assert.equal(r.find(/METRICS_TOKEN is not set/)?.status, 'warn')
  assert.equal(r.find(/^routes: UZ → twilio; KZ → twilio$/)?.status, 'ok')
  const unpriced = r.find(/^no price for twilio → KZ/)
  assert.equal(unpriced?.status, 'warn')
  assert.match(unpriced?.fix ?? '', /SMS_PRICES/)
  assert.equal(r.code, 0, r.stdout)
})

test('Eskiz live check against the Prism mock: logs in and reads the balance (the example says 0)', {
  skip: eskizSkipReason(),
}, async (t) => {
  const ws = workspace(t, eskizEnv(await startPrismOn(t, ESKIZ_SPEC)))
  const r = await doctor(ws.envFile)
  assert.equal(r.find(/^credentials are present: ops@royaltaxi\.uz, sender "4546"$/)?.status, 'ok')
  assert.equal(r.find(/^logged in to Eskiz as ops@royaltaxi\.uz$/)?.status, 'ok')
  assert.equal(r.find(/^the Eskiz balance is 0 so'm: messages will be refused$/)?.status, 'fail')
  assert.equal(r.code, 1)
})

test("Eskiz: a refused login fails with the fix; a balance is reported in so'm", async (t) => {
  let balance = 250_000
  const eskiz = await fakeGateway(t, [
    (req) =>
      req.url === '/api/auth/login'
        ? req.form?.password === 'eskiz-secret-pass'
          ? { status: 200, body: { data: { token: 'tok-1' } } }
          : { status: 401, body: { message: 'Invalid credentials' } }
        : { status: 200, body: { data: { balance }, status: 'success' } },
  ])
  const ws = workspace(t, eskizEnv(eskiz.url))
  let r = await doctor(ws.envFile)
  assert.equal(r.find(/^the Eskiz balance is 250,000 so'm$/)?.status, 'ok')
  assert.equal(r.code, 0, r.stdout)
  const [login, limit] = eskiz.received
  assert.equal(login?.method, 'POST')
  assert.deepEqual(login?.form, { email: 'ops@royaltaxi.uz', password: 'eskiz-secret-pass' })
  assert.equal(limit?.url, '/api/user/get-limit')
  assert.equal(limit?.headers.authorization, 'Bearer tok-1')

  balance = 4_000
  r = await doctor(ws.envFile)
  assert.equal(r.find(/^the Eskiz balance is low: 4,000 so'm$/)?.status, 'warn')

  ws.write(eskizEnv(eskiz.url, { ESKIZ_PASSWORD: 'wrong-pass' }))
  r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  const refused = r.find(/^Eskiz refused the login/)
  assert.equal(
    refused?.message,
    'Eskiz refused the login (401: Invalid credentials): ESKIZ_EMAIL or ESKIZ_PASSWORD is wrong',
  )
  assert.match(refused?.fix ?? '', /my\.eskiz\.uz/)
  assert.doesNotMatch(r.stdout, /wrong-pass/)
})

test('routing: Playmobile reaches only Uzbekistan; the local gateways have no live check', async (t) => {
  const pm = await fakeGateway(t, [{ status: 200, body: {} }])
  const ws = workspace(t, {
    ...localGatewaysEnv(pm.url, pm.url),
    ALLOWED_COUNTRIES: 'UZ,KZ',
    SMS_ROUTES: 'UZ=playmobile,http;KZ=playmobile',
  })
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  const kz = r.find(/route for KZ/)
  assert.equal(kz?.status, 'fail')
  assert.equal(kz?.message, 'no enabled provider on the route for KZ delivers there (route: playmobile)')
  assert.equal(r.find(/^routes: UZ → playmobile, http$/)?.status, 'ok')
  assert.equal(
    r.find(/^Playmobile has no read-only API/)?.fix,
    'send one real message: royal-taxi sms test +998901234567 --provider playmobile',
  )
  assert.equal(r.find(/^HTTP gateway has no read-only API/)?.status, 'warn')
  assert.equal(pm.received.length, 0, 'nothing was sent')
})

test('SMS_ROUTES naming a provider that is not enabled is a ❌ with the fix', async (t) => {
  const twilio = await new FakeTwilio().start(t)
  const ws = workspace(t, { ...twilioEnv(twilio.url), SMS_ROUTES: 'UZ=eskiz,twilio' })
  const r = await doctor(ws.envFile)
  assert.equal(r.code, 1)
  const routes = r.find(/^SMS_ROUTES: provider "eskiz" is named for UZ but not enabled$/)
  assert.equal(routes?.section, 'Settings')
  assert.match(routes?.fix ?? '', /naming only enabled providers/)
  // The other checks ran on the default routes.
  assert.equal(r.find(/^routes: UZ → twilio$/)?.status, 'ok')
})
