import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeJwt } from 'jose'
import { ADMIN_ENV, auth } from '../admin/seed.js'
import { BACKENDS, buildTestApp, post, type TestApp } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const REFRESH = '/api/v1/auth/refresh'
const ME = '/api/v1/users/me'
const DRIVER = '+998901234567'
const RIDER = '+998931112233'

/** Sends a code to `phone` and verifies it for `app`; the raw answer. */
async function verifyAs(ta: TestApp, phone: string, app?: string, headers: Record<string, string> = {}) {
  const sent = await post(ta.app, SEND, { phone })
  assert.equal(sent.statusCode, 200, sent.body)
  const code = ta.sms.codeFor(phone)
  const res = await ta.app.inject({
    method: 'POST',
    url: VERIFY,
    headers,
    payload: { phone, code, ...(app ? { app } : {}) },
  })
  return { res, code }
}

const me = (ta: TestApp, token: string) =>
  ta.app.inject({ method: 'GET', url: ME, headers: { authorization: `Bearer ${token}` } })

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] passenger and driver apps: roster, roles, separate sessions, removal`, {
    skip: backend.skip,
  }, async (t) => {
    const env = { ...ADMIN_ENV, OTP_RESEND_SECONDS: '0', ...(await backend.env(t)) }
    const ta = await buildTestApp(t, { env })

    // Not on the roster: 403 in every language, no session, no user, and the code is spent.
    for (const [lang, text, phone] of [
      ['uz', /haydovchi sifatida ro'yxatdan o'tmagan/, RIDER],
      ['ru', /не зарегистрирован как водитель/, '+998931112234'],
      ['en', /not registered as a driver/, '+998931112235'],
    ] as const) {
      const { res, code } = await verifyAs(ta, phone, 'driver', { 'accept-language': lang })
      assert.equal(res.statusCode, 403)
      assert.equal(res.json().code, 'DRIVER_NOT_REGISTERED')
      assert.match(res.json().detail, text)
      assert.equal(res.json().access_token, undefined)
      const again = await post(ta.app, VERIFY, { phone, code })
      assert.equal(again.statusCode, 400, 'the code cannot be retried as a passenger')
    }
    const users = await ta.app.storage.db.db.selectFrom('users').select('phone').execute()
    assert.deepEqual(users, [], 'no user for a refused driver')

    // The passenger app is the default, and needs no roster.
    const passenger = (await verifyAs(ta, DRIVER)).res
    assert.equal(passenger.statusCode, 200, passenger.body)
    assert.equal(decodeJwt(passenger.json().access_token).role, 'passenger')
    assert.deepEqual(passenger.json().user.roles, ['passenger'])
    assert.equal(passenger.json().user.role, 'passenger')

    // On the roster: a driver session of its own; a refresh keeps the role.
    await ta.app.drivers.add([{ phone: DRIVER, name: 'Aziz' }], 'admin')
    const driver = (await verifyAs(ta, DRIVER, 'driver')).res
    assert.equal(driver.statusCode, 200, driver.body)
    assert.equal(driver.json().is_new_user, false, 'the same user holds both roles')
    assert.equal(decodeJwt(driver.json().access_token).role, 'driver')
    const refreshed = await post(ta.app, REFRESH, { refresh_token: driver.json().refresh_token })
    assert.equal(refreshed.statusCode, 200)
    assert.equal(decodeJwt(refreshed.json().access_token).role, 'driver')
    const shown = (await me(ta, refreshed.json().access_token)).json()
    assert.deepEqual(shown.roles, ['passenger', 'driver'])
    assert.equal(shown.role, 'driver')
    assert.equal((await me(ta, passenger.json().access_token)).json().role, 'passenger')

    // Removed from the roster: the driver session ends at once, the passenger session goes on.
    const removed = await ta.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/drivers/${encodeURIComponent(DRIVER)}`,
      headers: auth,
    })
    assert.equal(removed.statusCode, 204)
    const ended = await post(ta.app, REFRESH, { refresh_token: refreshed.json().refresh_token })
    assert.equal(ended.statusCode, 401)
    assert.equal(ended.json().code, 'REFRESH_TOKEN_INVALID')
    const still = await post(ta.app, REFRESH, { refresh_token: passenger.json().refresh_token })
    assert.equal(still.statusCode, 200)
    assert.equal(decodeJwt(still.json().access_token).role, 'passenger')
    assert.deepEqual((await me(ta, still.json().access_token)).json().roles, ['passenger'])
  })

test('an app that is neither passenger nor driver is refused with 422', async (t) => {
  const ta = await buildTestApp(t)
  const res = await post(ta.app, VERIFY, { phone: DRIVER, code: '123456', app: 'admin' })
  assert.equal(res.statusCode, 422)
  assert.equal(res.json().code, 'VALIDATION_ERROR')
})
