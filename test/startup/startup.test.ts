import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { startupSummary } from '../../src/plugins/startup.js'
import { buildTestApp, FakeSms, LIVE_SMS, LogCapture, SECRET, STRONG_SECRET, testConfig } from '../helpers.js'
import { fakeGateway } from '../sms/gateway-fakes.js'
import { ACCOUNT_SID, recordingServer, twilioEnv, twilioError } from '../sms/twilio-fakes.js'

const ERROR = 50

/** A port nothing listens on: taken from the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

/** Twilio refusing every request as it does a wrong Auth Token. */
const refusingTwilio = (t: TestContext) => recordingServer(t, twilioError(20003, 401, 'Authenticate'))

/** Eskiz refusing the login. */
const refusingEskiz = (t: TestContext) =>
  fakeGateway(t, [{ status: 401, body: { message: 'Invalid credentials' } }])

const eskizEnv = (url: string) => ({
  ESKIZ_ENABLED: 'true',
  ESKIZ_EMAIL: 'ops@royaltaxi.uz',
  ESKIZ_PASSWORD: 'wrong-password',
  ESKIZ_API_BASE_URL: url,
})

/** Builds the app as the server does (configured gateways), with the live checks asked for. */
async function buildChecked(t: TestContext, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const logs = new LogCapture()
  const app = await buildApp(testConfig(env, dir), { logDestination: logs, liveChecks: true })
  t.after(() => app.close())
  return { app, logs }
}

test('the start-up summary: mode, database without its password, Redis host, gateways, routes, admin', () => {
  const config = loadConfig({
    APP_ENV: 'production',
    SECRET_KEY: STRONG_SECRET,
    DATABASE_URL: 'postgres://royal:s3cret-pw@db.internal:5433/royal',
    REDIS_URL: 'redis://:redis-pw@cache.internal:6380/2',
    ...LIVE_SMS,
    ...eskizEnv('https://notify.eskiz.uz'),
    SMS_ROUTES: 'UZ=eskiz,twilio;*=twilio',
    ADMIN_TOKEN: 'a'.repeat(40),
  })
  const summary = startupSummary(config, [new FakeSms('eskiz'), new FakeSms('twilio')])
  assert.equal(
    summary,
    'Start-up: production mode | database PostgreSQL db.internal:5433/royal | Redis cache.internal:6380 | gateways eskiz, twilio | routes UZ=eskiz,twilio; *=twilio | admin on',
  )
  assert.ok(!/s3cret|redis-pw/.test(summary))
})

test('every start logs the summary once; a test build checks no gateway', async (t) => {
  const twilio = await refusingTwilio(t)
  const ta = await buildTestApp(t, { env: twilioEnv(twilio.url), configuredProviders: true })
  const summaries = ta.logs.messages().filter((m) => m.startsWith('Start-up: '))
  assert.deepEqual(summaries, [
    `Start-up: test mode | database SQLite ${join(ta.dir, 'test.db')} | Redis none | gateways twilio | routes UZ=twilio; *=twilio | admin off`,
  ])
  assert.equal(twilio.requests.length, 0, 'no live check in the test suite unless asked')
  const ready = await ta.app.inject({ url: '/ready' })
  assert.deepEqual(ready.json(), { status: 'ready', checks: { database: 'ok', redis: 'disabled' } })
})

test('gateways that refuse their credentials: an error line with the fix each, /ready degraded naming them', async (t) => {
  const twilio = await refusingTwilio(t)
  const eskiz = await refusingEskiz(t)
  const { app, logs } = await buildChecked(t, { ...twilioEnv(twilio.url), ...eskizEnv(eskiz.url) })

  assert.equal(twilio.requests[0]?.path, `/2010-04-01/Accounts/${ACCOUNT_SID}.json`)
  assert.equal(eskiz.received[0]?.url, '/api/auth/login')
  const errors = logs.lines.filter((l) => l.level === ERROR).map((l) => l.msg)
  assert.deepEqual(errors.sort(), [
    'Eskiz failed its start-up check: Eskiz refused the login (401: Invalid credentials): ESKIZ_EMAIL or ESKIZ_PASSWORD is wrong. Fix: check the e-mail and password by logging in at https://my.eskiz.uz, then copy them into ESKIZ_EMAIL and ESKIZ_PASSWORD',
    'Twilio failed its start-up check: Account SID or Auth Token is wrong: copy them again from the console. Fix: copy the Account SID and Auth Token from https://console.twilio.com (Account Info) into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
  ])

  const ready = await app.inject({ url: '/ready' })
  assert.equal(ready.statusCode, 200, 'the service still serves: other gateways may work')
  assert.deepEqual(ready.json(), {
    status: 'degraded',
    checks: { database: 'ok', redis: 'disabled', gateways: { eskiz: 'failed', twilio: 'failed' } },
    degraded: ['eskiz', 'twilio'],
  })
})

test('one gateway refused, the other accepted: only the refused one is named', async (t) => {
  const twilio = await refusingTwilio(t)
  const eskiz = await fakeGateway(t, [
    { status: 200, body: { data: { token: 'tok' } } },
    { status: 200, body: { data: { balance: 250000 } } },
  ])
  const { app, logs } = await buildChecked(t, { ...twilioEnv(twilio.url), ...eskizEnv(eskiz.url) })
  assert.ok(
    logs
      .messages()
      .includes(
        "✅ Eskiz checked: logged in to Eskiz as ops@royaltaxi.uz; the Eskiz balance is 250,000 so'm",
      ),
  )
  const body = (await app.inject({ url: '/ready' })).json()
  assert.deepEqual(body.checks.gateways, { eskiz: 'ok', twilio: 'failed' })
  assert.deepEqual(body.degraded, ['twilio'])
})

test('STRICT_STARTUP=true refuses to start with the failure and its fix', async (t) => {
  const twilio = await refusingTwilio(t)
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // The real entry point, in development mode: its live checks are on without being asked.
  // Spawned, not spawnSync: the fake gateway answers from this process's event loop.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      APP_ENV: 'development',
      DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
      LOG_FILE: '-',
      SECRET_KEY: SECRET,
      STRICT_STARTUP: 'true',
      ...twilioEnv(twilio.url),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  const run = { stdout: '', stderr: '', status: null as number | null }
  child.stdout.on('data', (c) => {
    run.stdout += c
  })
  child.stderr.on('data', (c) => {
    run.stderr += c
  })
  run.status = await new Promise<number | null>((r) => child.on('close', r))
  assert.equal(run.status, 1, run.stdout + run.stderr)
  assert.match(
    run.stderr,
    /^Could not start: STRICT_STARTUP=true refuses to start: Twilio failed its start-up check: Account SID or Auth Token is wrong: copy them again from the console\. Fix: copy the Account SID and Auth Token from https:\/\/console\.twilio\.com/m,
  )
  assert.ok(!run.stdout.includes('Server listening'), run.stdout)
})

test('Redis on a closed port: the start fails naming Redis and its address', async (t) => {
  const port = await closedPort()
  await assert.rejects(
    buildTestApp(t, { env: { REDIS_URL: `redis://:pw-secret@127.0.0.1:${port}` } }),
    (err: Error) => {
      assert.match(
        err.message,
        new RegExp(`^Redis at 127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED`),
      )
      assert.ok(!err.message.includes('pw-secret'))
      return true
    },
  )
})

test('PostgreSQL on a closed port: the start fails naming PostgreSQL and its address, not the password', async (t) => {
  const port = await closedPort()
  await assert.rejects(
    buildTestApp(t, { env: { DATABASE_URL: `postgres://royal:pg-secret@127.0.0.1:${port}/royal` } }),
    (err: Error) => {
      assert.match(
        err.message,
        new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port}/royal is unreachable: ECONNREFUSED`),
      )
      assert.ok(!err.message.includes('pg-secret'))
      return true
    },
  )
})

test('production without TRUST_PROXY warns what that means behind a proxy', async (t) => {
  const prod = { APP_ENV: 'production', SECRET_KEY: STRONG_SECRET, ...LIVE_SMS }
  const without = await buildTestApp(t, { env: prod })
  const warning = without.logs.messages().filter((m) => m.startsWith('TRUST_PROXY is not set'))
  assert.deepEqual(warning, [
    "TRUST_PROXY is not set: behind a reverse proxy (nginx, a load balancer) every rider appears with the proxy's IP address and shares its per-IP limits (5 codes a minute for everyone). Set TRUST_PROXY to the proxy's address, e.g. TRUST_PROXY=127.0.0.1",
  ])
  const behind = await buildTestApp(t, { env: { ...prod, TRUST_PROXY: '127.0.0.1' } })
  assert.ok(!behind.logs.messages().some((m) => m.startsWith('TRUST_PROXY')))
  const dev = await buildTestApp(t)
  assert.ok(!dev.logs.messages().some((m) => m.startsWith('TRUST_PROXY')))
})

test('shutdown says what it waits for: the in-flight requests, the statistics buffer, the database', async (t) => {
  const ta = await buildTestApp(t)
  // The send waits at the gateway until the shutdown has begun.
  let arrived: () => void = () => {}
  const reached = new Promise<void>((r) => {
    arrived = r
  })
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const send = ta.sms.send.bind(ta.sms)
  ta.sms.send = async (message, signal) => {
    arrived()
    await gate
    return send(message, signal)
  }
  const inFlight = ta.app.inject({
    method: 'POST',
    url: '/api/v1/auth/send-otp',
    payload: { phone: '+998901234567' },
  })
  await reached
  const closing = ta.app.close()
  const line =
    'Shutting down: waiting for 1 in-flight request(s) on 0 open connection(s), then writing the statistics buffer and closing the database'
  while (!ta.logs.messages().includes(line)) await new Promise((r) => setImmediate(r))
  release()
  await inFlight
  await closing
})
