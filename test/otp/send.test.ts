import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, post } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'

test('send-otp answers the exact Uzbek body and sends the three-line SMS', async (t) => {
  const ta = await buildTestApp(t)
  const res = await post(ta.app, SEND, { phone: '+998901234567' })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  const code = ta.sms.codeFor('+998901234567')
  assert.deepEqual(body, {
    message: 'Tasdiqlash kodi +998901234567 raqamiga yuborildi. Kod 5 daqiqa davomida amal qiladi.',
    phone: '+998901234567',
    expires_in: 300,
    otp_code: code,
  })
  assert.equal(
    ta.sms.sent[0]?.text,
    `Royal Taxi tasdiqlash kodi: ${code}\nKod 5 daqiqa davomida amal qiladi.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring.`,
  )
  assert.match(code, /^\d{6}$/)
})
