import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BACKENDS, buildTestApp, post } from '../helpers.js'

const PHONE = '+998901234567'

for (const backend of BACKENDS) {
  test(`[${backend.name}] codes pending across a restart still verify`, { skip: backend.skip }, async (t) => {
    const env = await backend.env(t)
    const before = await buildTestApp(t, { env, keepDir: true })
    assert.equal((await post(before.app, '/api/v1/auth/send-otp', { phone: PHONE })).statusCode, 200)
    const code = before.sms.codeFor(PHONE)
    await before.app.close()

    const after = await buildTestApp(t, { env, dir: before.dir })
    const res = await post(after.app, '/api/v1/auth/verify-otp', { phone: PHONE, code })
    assert.equal(res.statusCode, 200, res.body)
    // The limits survived too: the cooldown started before the restart still holds.
    const again = await post(after.app, '/api/v1/auth/send-otp', { phone: PHONE })
    assert.equal(again.json().code, 'OTP_RESEND_COOLDOWN')
  })
}
