import assert from 'node:assert/strict'
import { test } from 'node:test'
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
