// LOG_FORMAT: the operators' `LEVEL: message` lines, and the same redaction as JSON, on stdout and LOG_FILE.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { type TestContext, test } from 'node:test'
import { buildApp } from '../../src/app.js'
import { createLogger } from '../../src/logger.js'
import { post, testConfig } from '../helpers.js'
import { recordingServer, twilioCreated, twilioEnv, twilioError } from '../sms/twilio-fakes.js'

const PHONE = '+998901234567'

/** Every line written, as text. */
class Lines extends Writable {
  text = ''
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
  lines(): string[] {
    return this.text.split('\n').filter(Boolean)
  }
}

async function twilioApp(t: TestContext, answer: Parameters<typeof recordingServer>[1], format: string) {
  const fake = await recordingServer(t, answer)
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-'))
  const out = new Lines()
  const app = await buildApp(testConfig(twilioEnv(fake.url, { LOG_FORMAT: format }), dir), {
    logDestination: out,
  })
  t.after(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { app, out }
}

test("text: a wrong Twilio credential is one ERROR line, the seed's, with no stack", async (t) => {
  const { app, out } = await twilioApp(t, twilioError(20003, 401, 'Authenticate'), 'text')
  const res = await post(app, '/api/v1/auth/send-otp', { phone: PHONE })
  assert.equal(res.statusCode, 503)
  const lines = out.lines()
  assert.deepEqual(
    lines.filter((l) => l.startsWith('ERROR: ')),
    ['ERROR: Twilio error sending SMS: Unable to create record: Authenticate'],
  )
  assert.ok(lines.includes(`WARNING: ⚠️ Failed to send SMS to ${PHONE}`), out.text)
  assert.ok(
    lines.includes('WARNING: request failed: SMS_UNAVAILABLE: Unable to create record: Authenticate'),
    out.text,
  )
  assert.match(out.text, /^INFO: request completed: POST \/api\/v1\/auth\/send-otp 503 \([\d.]+ ms\)$/m)
  assert.ok(!/^\s+at /m.test(out.text), 'no stack trace')
  assert.ok(
    lines.every((l) => /^(TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL): /.test(l)),
    out.text,
  )
})

test("text: a sent SMS is the seed's INFO line", async (t) => {
  const { app, out } = await twilioApp(t, twilioCreated('SM0123456789abcdef0123456789abcdef'), 'text')
  assert.equal((await post(app, '/api/v1/auth/send-otp', { phone: PHONE })).statusCode, 200)
  assert.ok(
    out.lines().includes(`INFO: ✅ SMS sent to ${PHONE}. Message SID: SM0123456789abcdef0123456789abcdef`),
    out.text,
  )
})

test('json: the same events as JSON lines, the failure without a stack', async (t) => {
  const { app, out } = await twilioApp(t, twilioError(20003, 401, 'Authenticate'), 'json')
  await post(app, '/api/v1/auth/send-otp', { phone: PHONE })
  const lines = out.lines().map((l) => JSON.parse(l) as { level: number; msg: string })
  assert.deepEqual(
    lines.filter((l) => l.level >= 50).map((l) => l.msg),
    ['Twilio error sending SMS: Unable to create record: Authenticate'],
  )
  assert.ok(!out.text.includes('"stack"'))
})

test('text: LOG_FILE gets the same lines as stdout, redacted; a bug keeps its stack; no line can be forged', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-log-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'logs', 'app.log')
  const log = createLogger({ level: 'info', file, format: 'text' })
  log.info(
    { authToken: 'top-secret', config: { secretKey: 'nested-secret' } },
    '📱 OTP for +998901234567: 123456',
  )
  log.warn({ err: new Error('database is locked') }, 'could not remove expired codes')
  log.error({ err: new Error('boom') }, 'request failed: INTERNAL_ERROR')
  log.info('first\nERROR: forged')
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  assert.equal(lines[0], 'INFO: 📱 OTP for +998901234567: 123456')
  assert.equal(lines[1], 'WARNING: could not remove expired codes: database is locked')
  assert.equal(lines[2], 'ERROR: request failed: INTERNAL_ERROR')
  assert.match(lines[3] ?? '', /^ {4}Error: boom$/)
  assert.match(lines[4] ?? '', /^ {4}\s*at /)
  assert.ok(text.includes('INFO: first\\nERROR: forged\n'))
  assert.ok(!/^ERROR: forged/m.test(text))
  for (const secret of ['top-secret', 'nested-secret']) assert.ok(!text.includes(secret), secret)
})

test('LOG_FORMAT defaults to text in development and json otherwise', () => {
  const format = (env: Record<string, string>) => testConfig(env).log.format
  assert.equal(format({ APP_ENV: 'development' }), 'text')
  assert.equal(format({ APP_ENV: 'test' }), 'json')
  assert.equal(format({ APP_ENV: 'development', LOG_FORMAT: 'json' }), 'json')
})
