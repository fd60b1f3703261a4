import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
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

test('LOG_FILE holds a line as soon as it is logged: nothing waits in memory to be written', (t) => {
  // Asynchronous destinations fell behind under load (lines piled up in memory, and a crash lost them);
  // synchronous ones have the line in the file before the call returns.
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-log-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'logs', 'app.log')
  const log = createLogger({ level: 'info', file })
  log.info('📱 OTP for +998901234567: 123456')
  log.info('✅ SMS sent to +998901234567 via console. Message ID: console-1')
  const lines = readFileSync(file, 'utf8').trim().split('\n')
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['📱 OTP for +998901234567: 123456', '✅ SMS sent to +998901234567 via console. Message ID: console-1'],
  )
})
