import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { createLogger } from '../../src/logger.js'
import { buildTestApp, post } from '../helpers.js'

test('one compact "request completed" line per request, no "incoming request" line', async (t) => {
  const ta = await buildTestApp(t)
  const res = await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901234567' })
  assert.equal(res.statusCode, 200)
  assert.ok(!ta.logs.messages().includes('incoming request'))
  const lines = ta.logs.lines.filter((l) => l.msg === 'request completed')
  assert.equal(lines.length, 1)
  const [line] = lines
  assert.equal(line?.method, 'POST')
  assert.equal(line?.url, '/api/v1/auth/send-otp')
  assert.equal(line?.statusCode, 200)
  assert.equal(typeof line?.responseTime, 'number')
  assert.equal(typeof line?.reqId, 'string')
  // The operators' line is still there, once.
  assert.equal(ta.logs.messages().filter((m) => m.startsWith('📱 OTP for +998901234567: ')).length, 1)
})

test('a secret token in the query string is masked in the request line', async (t) => {
  const ta = await buildTestApp(t)
  await ta.app.inject({ method: 'GET', url: '/health?token=s3cret-value' })
  const line = ta.logs.lines.find((l) => l.msg === 'request completed')
  assert.equal(line?.url, '/health?token=[redacted]')
  assert.ok(!ta.logs.text().includes('s3cret-value'))
})

/** LOG_FILE in a fresh directory, removed after the test. */
function logFile(t: TestContext): { file: string; lines: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-log-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'logs', 'app.log')
  const lines = () =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { msg: string }).msg)
      : []
  return { file, lines }
}

test('every line reaches LOG_FILE at once, at the configured level', async (t) => {
  const { file, lines } = logFile(t)
  const log = createLogger({ level: 'debug', file })
  log.debug('SMS provider skipped: its circuit is open')
  log.info('📱 OTP for +998901234567: 123456')
  assert.deepEqual(lines(), ['SMS provider skipped: its circuit is open', '📱 OTP for +998901234567: 123456'])
})

test('secrets are censored in a line, one level down and in a child logger', async (t) => {
  const { file } = logFile(t)
  const log = createLogger({ level: 'info', file })
  log
    .child({ token: 'child-secret', config: { secretKey: 'nested-in-child' } })
    .info({ password: 'p1' }, 'one')
  log.info({ config: { secretKey: 'nested-secret' }, authToken: 'top-secret' }, 'two')
  const text = readFileSync(file, 'utf8')
  for (const secret of ['child-secret', 'nested-in-child', 'p1', 'nested-secret', 'top-secret'])
    assert.ok(!text.includes(secret), secret)
  assert.match(text, /\[redacted\]/)
})

test('lines not yet written when the process exits are written first, also on an uncaught exception', (t) => {
  for (const ending of ['process.exit(0)', "throw new Error('boom')"]) {
    const { file, lines } = logFile(t)
    const script = `import { createLogger } from './src/logger.ts'
      const log = createLogger({ level: 'info', file: ${JSON.stringify(file)} })
      log.info('last words')
      ${ending}`
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..', '..'),
      encoding: 'utf8',
    })
    assert.deepEqual(lines(), ['last words'], ending)
  }
})
