import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, FakeSms, post, type TestApp } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const PHONE = '+998901234567'

const log = (ta: TestApp) =>
  ta.app.storage.db.db
    .selectFrom('sms_log')
    .select(['attempt', 'provider', 'status', 'error_code'])
    .orderBy('attempt')
    .execute()

test('a gateway that hangs is abandoned at SMS_TIMEOUT_MS and the next one sends; the SMS log shows both', async (t) => {
  const slow = new FakeSms('slow')
  slow.delayMs = 60_000
  const backup = new FakeSms('backup')
  const ta = await buildTestApp(t, { env: { SMS_TIMEOUT_MS: '200' }, providers: [slow, backup] })
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(slow.sent.length, 0)
  assert.equal(backup.sent.length, 1)
  assert.deepEqual(await log(ta), [
    { attempt: 1, provider: 'slow', status: 'failed', error_code: 'unavailable' },
    { attempt: 2, provider: 'backup', status: 'queued', error_code: null },
  ])
  assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code: backup.codeFor(PHONE) })).statusCode, 200)
})

test('every gateway down or slow: a clear 503 within the timeout, no code left pending, the log says why', async (t) => {
  const down = new FakeSms('down')
  down.fail('unavailable', 'connect ECONNREFUSED')
  const slow = new FakeSms('slow')
  slow.delayMs = 60_000
  const ta = await buildTestApp(t, { env: { SMS_TIMEOUT_MS: '200' }, providers: [down, slow] })
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().code, 'SMS_UNAVAILABLE')
  assert.deepEqual(await log(ta), [
    { attempt: 1, provider: 'down', status: 'failed', error_code: 'unavailable' },
    { attempt: 2, provider: 'slow', status: 'failed', error_code: 'unavailable' },
  ])
  const pending = await ta.app.storage.db.db.selectFrom('otp_codes').selectAll().execute()
  assert.deepEqual(pending, [], 'the code that was never delivered is gone')
  assert.ok(ta.logs.lines.some((l) => l.level === 50 && /connect ECONNREFUSED/.test(l.msg)))
  // Nothing holds the user back once a gateway is back.
  down.failWith = null
  assert.equal((await post(ta.app, SEND, { phone: PHONE })).statusCode, 200)
})
