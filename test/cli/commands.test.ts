import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.js'
import { loadConfig } from '../../src/config.js'
import { migrate, openDatabase } from '../../src/db/index.js'
import type { NewSmsLog } from '../../src/db/schema.js'
import { eskizEnv, fakeGateway, localGatewaysEnv } from '../sms/gateway-fakes.js'
import { ACCOUNT_SID, FROM, fields, twilioEnv } from '../sms/twilio-fakes.js'
import { cli, FakeTwilio, migrationNames, workspace } from './helpers.js'

function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])])
}

test('--help works on every command and sub-command', async () => {
  const program = buildProgram({ out: () => {}, err: () => {}, exitCode: 0 })
  const paths = commandPaths(program)
  assert.ok(paths.length >= 6, paths.join(' | '))
  for (const path of [[], ...paths]) {
    const r = await cli([...path, '--help'])
    assert.equal(r.code, 0, path.join(' '))
    assert.match(
      r.stdout,
      new RegExp(`^Usage: royal-taxi${path.length ? ` ${path.join(' ')}` : ''}`),
      path.join(' '),
    )
  }
})

test('usage mistakes and failures are one line on stderr with exit code 1, never a stack', async (t) => {
  const unknown = await cli(['frobnicate'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /^error: unknown command 'frobnicate'/)

  const ws = workspace(t, { LOG_LEVEL: 'loud', OTP_LENGTH: '99' })
  const bad = await cli(['migrate'], { envFile: ws.envFile })
  assert.equal(bad.code, 1)
  assert.equal(bad.stderr.split('\n').length, 1)
  assert.match(
    bad.stderr,
    /^royal-taxi: invalid configuration: LOG_LEVEL: expected .*; OTP_LENGTH: expected .*\(run "royal-taxi doctor" for the fixes\)$/,
  )

  ws.write({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' })
  const down = await cli(['migrate'], { envFile: ws.envFile })
  assert.equal(down.code, 1)
  assert.match(down.stderr, /^royal-taxi: ECONNREFUSED 127\.0\.0\.1:1/)
  assert.doesNotMatch(down.stderr, /\n|\bat /)
})

test('the royal-taxi executable: shebang, npm run cli, one-line errors from a real process', (t) => {
  assert.match(readFileSync('src/cli/index.ts', 'utf8'), /^#!\/usr\/bin\/env node\n/)
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
  assert.equal(pkg.bin['royal-taxi'], 'dist/cli/index.js')
  assert.match(pkg.scripts.cli, /src\/cli\/index\.ts/)

  const ws = workspace(t, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' })
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/index.ts', '--env-file', ws.envFile, 'migrate'],
    // Only PATH: a DATABASE_URL in the test runner's environment would win over the .env file.
    { encoding: 'utf8', env: { PATH: process.env.PATH } },
  )
  assert.equal(r.status, 1)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^royal-taxi: ECONNREFUSED 127\.0\.0\.1:1.*\n$/)
})

test('migrate applies what is pending and says so; --status lists each migration', async (t) => {
  const ws = workspace(t)
  const first = await cli(['migrate'], { envFile: ws.envFile })
  assert.equal(first.code, 0, first.stderr)
  const names = await migrationNames()
  assert.ok(names.length >= 2 && names[0] === '001_initial', names.join())
  assert.deepEqual(first.stdout.split('\n'), [
    ...names.map((n) => `✅ applied ${n}`),
    `SQLite ${join(ws.dir, 'test.db')}: ${names.length} migration(s) applied, ${names.length} in all`,
  ])
  const again = await cli(['migrate'], { envFile: ws.envFile })
  assert.equal(
    again.stdout,
    `SQLite ${join(ws.dir, 'test.db')}: already up to date (${names.length} migration(s) applied)`,
  )
  const status = await cli(['migrate', '--status'], { envFile: ws.envFile })
  assert.match(status.stdout, /^✅ 001_initial {2}applied \d{4}-\d\d-\d\dT/)
})

test('sms test sends one real message through Twilio and prints the attempt; the SMS log has it', async (t) => {
  const twilio = await new FakeTwilio().start(t)
  const ws = workspace(t, twilioEnv(twilio.url))
  const r = await cli(['sms', 'test', '+998 90 123 45 67', '--language', 'en'], { envFile: ws.envFile })
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n')
  const code = lines[0]?.match(/^Route for UZ: twilio; text: the en code SMS with code (\d{6})$/)?.[1]
  assert.ok(code, lines[0])
  assert.match(lines[1] ?? '', /^✅ twilio: queued, message id SM0123456789abcdef0123456789abcdef, \d+ ms$/)
  assert.match(lines[2] ?? '', /^Sent to \+998901234567 via twilio \(SMS log id [0-9a-f-]{36}\)$/)
  const sent = twilio.requests.find((q) => q.method === 'POST')
  assert.equal(sent?.path, `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`)
  assert.deepEqual(fields(sent), {
    To: '+998901234567',
    From: FROM,
    Body: `Royal Taxi verification code: ${code}\nThe code is valid for 5 minutes.\nIf you did not request this code, please ignore this message.`,
  })

  const handle = openDatabase(loadConfig({ DATABASE_URL: ws.dbUrl }).database)
  t.after(() => handle.close())
  const rows = await handle.db.selectFrom('sms_log').selectAll().execute()
  assert.equal(rows.length, 1)
  assert.equal(rows[0]?.provider_message_id, 'SM0123456789abcdef0123456789abcdef')
})

test('sms test: a refused number is printed with the gateway error, exit 1', async (t) => {
  const twilio = await new FakeTwilio().start(t)
  twilio.message = {
    status: 400,
    body: { code: 21211, message: "The 'To' number +998901234567 is not a valid phone number.", status: 400 },
  }
  const ws = workspace(t, twilioEnv(twilio.url))
  const r = await cli(['sms', 'test', '+998901234567', '--text', 'hello'], { envFile: ws.envFile })
  assert.equal(r.code, 1)
  assert.match(
    r.stdout,
    /^Route for UZ: twilio\n❌ twilio: invalid_recipient \(21211\): Unable to create record: The 'To' number \+998901234567 is not a valid phone number\., \d+ ms\nNot sent to \+998901234567: 1 attempt\(s\) failed/,
  )
  assert.equal(fields(twilio.requests.at(-1)).Body, 'hello')
})

test('sms test: development mode, unknown provider, bad number', async (t) => {
  const ws = workspace(t)
  const dev = await cli(['sms', 'test', '+998901234567'], { envFile: ws.envFile })
  assert.equal(dev.code, 0)
  assert.match(
    dev.stdout,
    /^Route for UZ: console; text: the uz code SMS with code \d{6}\n✅ console: sent, message id console-.*\n⚠️ development mode: no SMS provider is enabled, nothing left this machine/,
  )
  const other = await cli(['sms', 'test', '+998901234567', '--provider', 'eskiz'], { envFile: ws.envFile })
  assert.equal(other.code, 1)
  assert.equal(other.stderr, 'royal-taxi: provider "eskiz" is not enabled (enabled: console)')
  const bad = await cli(['sms', 'test', '+99871123'], { envFile: ws.envFile })
  assert.equal(
    bad.stderr,
    'royal-taxi: "+99871123" is not a valid mobile number; expected e.g. +998901234567',
  )
})

function logRow(id: string, at: number, fields: Partial<NewSmsLog> = {}): NewSmsLog {
  return {
    id,
    request_id: `r-${id}`,
    attempt: 1,
    phone: '+998901234567',
    country: 'UZ',
    operator: 'Beeline',
    provider: 'twilio',
    provider_message_id: `SM-${id}`,
    status: 'queued',
    error_code: null,
    error_message: null,
    created_at: at,
    updated_at: at,
    ...fields,
  }
}

test('logs tail prints the history, then new rows and status changes as they happen', async (t) => {
  const ws = workspace(t)
  const handle = openDatabase(loadConfig({ DATABASE_URL: ws.dbUrl }).database)
  t.after(() => handle.close())

  const noTable = await cli(['logs', 'tail', '--once'], { envFile: ws.envFile })
  assert.equal(noTable.code, 1)
  assert.match(noTable.stderr, /the SMS log does not exist yet .*run "royal-taxi migrate"/)

  await migrate(handle)
  const t0 = Date.UTC(2026, 10, 24, 7, 0, 0)
  const db = handle.db
  await db
    .insertInto('sms_log')
    .values([logRow('a', t0), logRow('b', t0 + 1000, { provider: 'eskiz', phone: '+998931234567' })])
    .execute()

  const once = await cli(['logs', 'tail', '--once'], { envFile: ws.envFile })
  assert.equal(once.code, 0, once.stderr)
  assert.deepEqual(once.stdout.split('\n'), [
    '2026-11-24 07:00:00.000  +998901234567   UZ  twilio#1      queued       SM-a',
    '2026-11-24 07:00:01.000  +998931234567   UZ  eskiz#1       queued       SM-b',
  ])
  const filtered = await cli(['logs', 'tail', '--once', '--provider', 'eskiz', '--json'], {
    envFile: ws.envFile,
  })
  const rows = filtered.stdout.split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(
    rows.map((r) => [r.event, r.id]),
    [['new', 'b']],
  )

  // Follow: once the history is out, a delivery receipt for "a" and a new failed row "c" arrive.
  let historyShown: () => void = () => {}
  const shown = new Promise<void>((r) => {
    historyShown = r
  })
  const following = cli(['logs', 'tail', '--lines', '1', '--count', '3', '--interval', '50'], {
    envFile: ws.envFile,
    onOut: (line) => line.includes('SM-b') && historyShown(),
  })
  await shown
  await db
    .updateTable('sms_log')
    .set({ status: 'sent', updated_at: t0 + 4000 })
    .where('id', '=', 'b')
    .execute()
  await db
    .updateTable('sms_log')
    .set({ status: 'delivered', updated_at: t0 + 5000 })
    .where('id', '=', 'a')
    .execute()
  await db
    .insertInto('sms_log')
    .values(
      logRow('c', t0 + 6000, {
        status: 'failed',
        provider_message_id: null,
        error_code: 'throttled',
        error_message: 'Too many requests',
      }),
    )
    .execute()
  const followed = await following
  assert.equal(followed.code, 0, followed.stderr)
  assert.deepEqual(followed.stdout.split('\n'), [
    '2026-11-24 07:00:01.000  +998931234567   UZ  eskiz#1       queued       SM-b',
    '2026-11-24 07:00:04.000  +998931234567   UZ  eskiz#1       queued → sent             SM-b',
    // "a" was not in the history shown: its old status is unknown.
    '2026-11-24 07:00:05.000  +998901234567   UZ  twilio#1      → delivered               SM-a',
    '2026-11-24 07:00:06.000  +998901234567   UZ  twilio#1      failed       -  throttled: Too many requests',
  ])
})

test('logs tail stops cleanly when interrupted', async (t) => {
  const ws = workspace(t)
  assert.equal((await cli(['migrate'], { envFile: ws.envFile })).code, 0)
  const controller = new AbortController()
  const running = cli(['logs', 'tail', '--interval', '50'], {
    envFile: ws.envFile,
    signal: controller.signal,
  })
  controller.abort()
  const r = await running
  assert.equal(r.code, 0)
  assert.equal(r.stderr, '')
})

test('cost estimate: 10,000 SMS to Uzbekistan via Twilio cost $530.00, then every other enabled provider', async (t) => {
  const pm = await fakeGateway(t, [{ status: 200, body: {} }])
  const ws = workspace(t, {
    ...twilioEnv('http://127.0.0.1:1'),
    ...eskizEnv('http://127.0.0.1:1'),
    ...localGatewaysEnv(pm.url, pm.url),
  })
  const r = await cli(['cost', 'estimate', '--country', 'UZ', '--count', '10000', '--provider', 'twilio'], {
    envFile: ws.envFile,
  })
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.stdout.split('\n'), [
    '10,000 SMS to UZ, 1 segment(s) each: the uz code SMS, GSM-7, 143 septets',
    '  twilio      $530.00  ($0.053 per segment)',
    "  eskiz       900,000 so'm (≈ $70.87)  (90 so'm per segment)",
    "  playmobile  800,000 so'm (≈ $62.99)  (80 so'm per segment)",
    '  http        no price for UZ in the table: set one with SMS_PRICES',
  ])

  // Russian codes are UCS-2: two segments each; SMS_PRICES overrides the table.
  ws.write({ ...twilioEnv('http://127.0.0.1:1'), SMS_PRICES: 'twilio:UZ=0.06' })
  const ru = await cli(
    ['cost', 'estimate', '--country', 'uz', '--count', '1,000', '--language', 'ru', '--json'],
    {
      envFile: ws.envFile,
    },
  )
  const json = JSON.parse(ru.stdout)
  assert.equal(json.segments_per_message, 2)
  assert.deepEqual(json.estimates, [
    { provider: 'twilio', enabled: true, cost: { amount: 120, currency: 'USD', usd: 120 } },
  ])
})

test('cost estimate: one-line errors for a bad country, count or provider', async (t) => {
  const ws = workspace(t)
  for (const [args, error] of [
    [['--country', 'XX', '--count', '5'], 'royal-taxi: unknown country code "XX"'],
    [['--country', 'UZ', '--count', 'many'], 'royal-taxi: --count must be a whole number ≥ 1 (got "many")'],
    [
      ['--country', 'UZ', '--count', '5', '--provider', 'pigeon'],
      'royal-taxi: unknown provider "pigeon" (expected eskiz, playmobile, http, twilio, telegram)',
    ],
  ] as const) {
    const r = await cli(['cost', 'estimate', ...args], { envFile: ws.envFile })
    assert.equal(r.code, 1)
    assert.equal(r.stderr, error)
  }
  const missing = await cli(['cost', 'estimate', '--count', '5'], { envFile: ws.envFile })
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /^error: required option '--country <code>' not specified/)
})

test('sms test follows the route: Eskiz refuses for lack of funds, Twilio delivers', async (t) => {
  const eskiz = await fakeGateway(t, [
    (req) =>
      req.url === '/api/auth/login'
        ? { status: 200, body: { data: { token: 'tok-1' } } }
        : { status: 400, body: { status: 'error', message: 'Недостаточно средств на балансе' } },
  ])
  const twilio = await new FakeTwilio().start(t)
  const ws = workspace(t, {
    ...twilioEnv(twilio.url),
    ...eskizEnv(eskiz.url),
  })
  const r = await cli(['sms', 'test', '+998901234567', '--text', 'Bu Eskiz dan test'], {
    envFile: ws.envFile,
  })
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n')
  assert.equal(lines[0], 'Route for UZ: eskiz → twilio')
  assert.match(lines[1] ?? '', /^❌ eskiz: quota_exhausted \(400\): Недостаточно средств на балансе, \d+ ms$/)
  assert.match(lines[2] ?? '', /^✅ twilio: queued, message id SM0123456789abcdef0123456789abcdef, \d+ ms$/)
  assert.match(lines[3] ?? '', /^Sent to \+998901234567 via twilio/)

  const only = await cli(['sms', 'test', '+998901234567', '--provider', 'eskiz', '--text', 'x'], {
    envFile: ws.envFile,
  })
  assert.equal(only.code, 1)
  assert.equal(only.stdout.split('\n')[0], 'Route for UZ: eskiz')
  assert.match(
    only.stdout,
    /Not sent to \+998901234567: 1 attempt\(s\) failed; the last said quota_exhausted/,
  )
})
