import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeJwt } from 'jose'
import { BACKENDS, buildTestApp, post, type TestApp } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const REFRESH = '/api/v1/auth/refresh'
const SESSIONS = '/api/v1/users/me/sessions'
const ME = '/api/v1/users/me'
const PHONE = '+998901234567'
const ANDROID =
  'Mozilla/5.0 (Linux; Android 14; SM-A525F) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36'
const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36'
/** No resend cooldown, so one number can sign in several times in a test; the country from the proxy. */
const ENV = { OTP_RESEND_SECONDS: '0', OTP_IP_LIMIT_PER_MINUTE: '100', COUNTRY_HEADER: 'CF-IPCountry' }

/** Signs in with a code, as the device `headers` describe. */
async function signInAs(ta: TestApp, phone: string, headers: Record<string, string>, extra: object = {}) {
  assert.equal((await post(ta.app, SEND, { phone })).statusCode, 200)
  const res = await post(ta.app, VERIFY, { phone, code: ta.sms.codeFor(phone), ...extra }, headers)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as { access_token: string; refresh_token: string; user: { id: number; phone: string } }
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` })
const call = (ta: TestApp, method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) =>
  ta.app.inject({ method, url, headers: auth(token), ...(payload ? { payload } : {}) })

for (const backend of BACKENDS)
  test(`[${backend.name}] sessions as devices: listed with the current one marked, ended one by one or all at once`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ENV, ...(await backend.env(t)) } })
    const phone = await signInAs(ta, PHONE, { 'user-agent': ANDROID, 'cf-ipcountry': 'uz' })
    const laptop = await signInAs(ta, PHONE, { 'user-agent': WINDOWS }, { device_name: 'Office laptop' })
    assert.equal(decodeJwt(laptop.access_token).sid !== decodeJwt(phone.access_token).sid, true)

    const listed = await call(ta, 'GET', SESSIONS, laptop.access_token)
    assert.equal(listed.statusCode, 200)
    const sessions = listed.json().sessions
    assert.deepEqual(
      sessions.map((s: Record<string, unknown>) => [s.device_name, s.platform, s.app, s.country, s.current]),
      [
        ['Office laptop', 'web', 'passenger', null, true],
        ['Chrome on Android', 'android', 'passenger', 'UZ', false],
      ],
    )
    assert.equal(sessions[1].id, decodeJwt(phone.access_token).sid)

    // A refresh is a use: the phone's session comes first now, and says where it was last seen.
    const refreshed = await post(
      ta.app,
      REFRESH,
      { refresh_token: phone.refresh_token },
      { 'cf-ipcountry': 'KZ' },
    )
    assert.equal(refreshed.statusCode, 200)
    const after = (await call(ta, 'GET', SESSIONS, laptop.access_token)).json().sessions
    assert.deepEqual(
      after.map((s: Record<string, unknown>) => [s.device_name, s.country]),
      [
        ['Chrome on Android', 'KZ'],
        ['Office laptop', null],
      ],
    )
    assert.equal(after[0].created_at, sessions[1].created_at, 'a session keeps its start')

    // Another user's session: 404, as for one that does not exist, and it goes on working.
    const other = await signInAs(ta, '+998931112233', {})
    const otherSid = String(decodeJwt(other.access_token).sid)
    for (const id of [otherSid, 'no-such-session']) {
      const res = await call(ta, 'DELETE', `${SESSIONS}/${id}`, laptop.access_token)
      assert.equal(res.statusCode, 404)
      assert.equal(res.json().code, 'SESSION_NOT_FOUND')
    }
    assert.equal((await post(ta.app, REFRESH, { refresh_token: other.refresh_token })).statusCode, 200)

    // Ending the phone's session from the laptop: its refresh token fails at once.
    const ended = await call(ta, 'DELETE', `${SESSIONS}/${after[0].id}`, laptop.access_token)
    assert.equal(ended.statusCode, 204)
    const refused = await post(ta.app, REFRESH, { refresh_token: refreshed.json().refresh_token })
    assert.equal(refused.statusCode, 401)
    assert.equal(refused.json().code, 'REFRESH_TOKEN_INVALID')

    // Sign out everywhere but here, then everywhere.
    const third = await signInAs(ta, PHONE, {})
    const keep = await call(ta, 'POST', '/api/v1/auth/logout-all', laptop.access_token, {
      keep_current: true,
    })
    assert.deepEqual(keep.json(), { ended: 1 })
    assert.equal((await post(ta.app, REFRESH, { refresh_token: third.refresh_token })).statusCode, 401)
    const fresh = await post(ta.app, REFRESH, { refresh_token: laptop.refresh_token })
    assert.equal(fresh.statusCode, 200, 'the current session is kept')
    const all = await call(ta, 'POST', '/api/v1/auth/logout-all', fresh.json().access_token)
    assert.deepEqual(all.json(), { ended: 1 })
    assert.equal((await post(ta.app, REFRESH, { refresh_token: fresh.json().refresh_token })).statusCode, 401)
  })

for (const backend of BACKENDS)
  test(`[${backend.name}] a new phone number: proved with a code, other sessions ended, taken numbers refused`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ENV, ...(await backend.env(t)) } })
    const here = await signInAs(ta, PHONE, {})
    const elsewhere = await signInAs(ta, PHONE, {})
    await signInAs(ta, '+998931112233', {})
    const NEW = '+998971234567'

    const same = await call(ta, 'POST', `${ME}/phone`, here.access_token, { phone: '+998 90 123 45 67' })
    assert.equal(same.statusCode, 422)
    assert.equal(same.json().code, 'PHONE_UNCHANGED')
    const taken = await call(ta, 'POST', `${ME}/phone`, here.access_token, { phone: '+998931112233' })
    assert.equal(taken.statusCode, 409)
    assert.equal(taken.json().code, 'PHONE_TAKEN')
    assert.equal(ta.sms.sent.filter((m) => m.to === '+998931112233').length, 1, 'no code to a taken number')

    const sent = await call(ta, 'POST', `${ME}/phone`, here.access_token, { phone: NEW })
    assert.equal(sent.statusCode, 200, sent.body)
    assert.equal(sent.json().phone, NEW)
    const wrong = await call(ta, 'POST', `${ME}/phone/verify`, here.access_token, {
      phone: NEW,
      code: '000000',
    })
    assert.equal(wrong.statusCode, 400)
    const moved = await call(ta, 'POST', `${ME}/phone/verify`, here.access_token, {
      phone: NEW,
      code: ta.sms.codeFor(NEW),
    })
    assert.equal(moved.statusCode, 200, moved.body)
    assert.equal(moved.json().phone, NEW)
    assert.equal((await post(ta.app, REFRESH, { refresh_token: elsewhere.refresh_token })).statusCode, 401)
    const next = await post(ta.app, REFRESH, { refresh_token: here.refresh_token })
    assert.equal(next.statusCode, 200, 'this session goes on')
    assert.equal(decodeJwt(next.json().access_token).phone, NEW)
    // The old number is free: it signs up as a new user.
    const again = await post(ta.app, SEND, { phone: PHONE })
    assert.equal(again.statusCode, 200)
    const fresh = await post(ta.app, VERIFY, { phone: PHONE, code: ta.sms.codeFor(PHONE) })
    assert.equal(fresh.json().is_new_user, true)

    // Taken between the code and its check: refused, nothing moved.
    const raced = '+998881234567'
    assert.equal(
      (await call(ta, 'POST', `${ME}/phone`, next.json().access_token, { phone: raced })).statusCode,
      200,
    )
    const code = ta.sms.codeFor(raced)
    await ta.app.stores.sessions.signIn(raced, {
      id: '01900000-0000-7000-8000-000000000000',
      hash: 'x',
      familyId: 'f',
      app: 'passenger',
      device: { name: 'x', platform: 'other' },
      createdAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    })
    const late = await call(ta, 'POST', `${ME}/phone/verify`, next.json().access_token, {
      phone: raced,
      code,
    })
    assert.equal(late.statusCode, 409)
    assert.equal(late.json().code, 'PHONE_TAKEN')
    assert.equal((await call(ta, 'GET', ME, next.json().access_token)).json().phone, NEW)
  })

for (const backend of BACKENDS)
  test(`[${backend.name}] deleting the account: with a code, everything goes, the SMS log keeps a masked number`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ENV, ...(await backend.env(t)) } })
    const s = await signInAs(ta, PHONE, {})
    const other = await signInAs(ta, PHONE, {})

    const noCode = await ta.app.inject({
      method: 'DELETE',
      url: ME,
      headers: auth(s.access_token),
      payload: {},
    })
    assert.equal(noCode.statusCode, 422)
    const sent = await call(ta, 'POST', `${ME}/delete/send-otp`, s.access_token, {})
    assert.equal(sent.statusCode, 200, sent.body)
    assert.equal(sent.json().phone, PHONE)
    const wrong = await call(ta, 'DELETE', ME, s.access_token, { code: '000000' })
    assert.equal(wrong.statusCode, 400)
    assert.equal(wrong.json().code, 'OTP_INVALID')

    // A refresh in flight while the account goes: whichever lands first, no session is left.
    const [deleted, refreshed] = await Promise.all([
      call(ta, 'DELETE', ME, s.access_token, { code: ta.sms.codeFor(PHONE) }),
      post(ta.app, REFRESH, { refresh_token: other.refresh_token }),
    ])
    assert.equal(deleted.statusCode, 204, deleted.body)
    if (refreshed.statusCode === 200) {
      const late = await post(ta.app, REFRESH, { refresh_token: refreshed.json().refresh_token })
      assert.equal(late.statusCode, 401)
    } else assert.equal(refreshed.json().code, 'REFRESH_TOKEN_INVALID')
    const { db } = ta.app.storage.db
    assert.deepEqual(await db.selectFrom('refresh_tokens').select('id').execute(), [])
    assert.deepEqual(await db.selectFrom('users').select('id').execute(), [])
    assert.equal((await call(ta, 'GET', ME, s.access_token)).json().code, 'TOKEN_INVALID')

    // Billing keeps its rows, with the number masked.
    await new Promise((r) => setTimeout(r, 50))
    const logged = await db.selectFrom('sms_log').select('phone').execute()
    assert.ok(logged.length >= 3)
    assert.ok(
      logged.every((r) => r.phone === '+99890*****67'),
      JSON.stringify(logged),
    )

    // The number can sign up again, as a new user.
    const again = await signInAs(ta, PHONE, {})
    assert.notEqual(again.user.id, s.user.id)
  })

test('a code for deletion is asked for and checked only by the signed-in user', async (t) => {
  const ta = await buildTestApp(t, { env: ENV })
  for (const [method, url] of [
    ['POST', `${ME}/delete/send-otp`],
    ['DELETE', ME],
    ['GET', SESSIONS],
    ['POST', '/api/v1/auth/logout-all'],
    ['POST', `${ME}/phone`],
  ] as const) {
    const res = await ta.app.inject({ method, url, payload: {} })
    assert.equal(res.statusCode, 401, url)
    assert.equal(res.json().code, 'UNAUTHORIZED')
  }
})

test('a code to delete the account lives 5 minutes, however long sign-in codes live', async (t) => {
  const ta = await buildTestApp(t, { env: { ...ENV, OTP_TTL_SECONDS: '900' } })
  const s = await signInAs(ta, PHONE, {})
  assert.equal(
    (await post(ta.app, SEND, { phone: PHONE })).json().expires_in,
    900,
    'a sign-in code: 15 minutes',
  )
  const sent = await call(ta, 'POST', `${ME}/delete/send-otp`, s.access_token, { language: 'en' })
  assert.equal(sent.json().expires_in, 300)
  assert.match(ta.sms.sent.at(-1)?.text ?? '', /\b5 min/)
})

test('the OpenAPI document shows every account endpoint, with its security', async (t) => {
  const ta = await buildTestApp(t)
  const { paths } = (await ta.app.inject({ method: 'GET', url: '/openapi.json' })).json()
  for (const [path, method] of [
    ['/api/v1/users/me/sessions', 'get'],
    ['/api/v1/users/me/sessions/{id}', 'delete'],
    ['/api/v1/auth/logout-all', 'post'],
    ['/api/v1/users/me/phone', 'post'],
    ['/api/v1/users/me/phone/verify', 'post'],
    ['/api/v1/users/me/delete/send-otp', 'post'],
    ['/api/v1/users/me', 'delete'],
  ] as const) {
    const operation = paths[path]?.[method]
    assert.ok(operation, `${method} ${path}`)
    assert.deepEqual(operation.security, [{ bearerAuth: [] }], path)
  }
})
