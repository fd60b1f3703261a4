import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BACKENDS, buildTestApp, FakeSms, post, signIn } from '../helpers.js'
import { SoftAuthenticator } from './authenticator.js'
import { auth, ORIGIN, PHONE, registered, signInOptions } from './flow.js'

for (const backend of BACKENDS)
  describe(`[${backend.name}] passkeys`, { skip: backend.skip }, () => {
    test('register after a code, then sign in with the passkey: the same user, verify-otp’s answer, no SMS', async (t) => {
      const sms = new FakeSms('eskiz')
      const ta = await buildTestApp(t, { env: await backend.env(t), providers: [sms] })
      ta.sms = sms
      const { session, authenticator, passkey } = await registered(ta)
      assert.equal(passkey.name, 'Chrome on Linux')
      assert.equal(passkey.last_used_at, null)
      assert.equal(passkey.synced, true)

      const options = await signInOptions(ta.app)
      assert.deepEqual(options.allowCredentials, [])
      assert.equal(options.rpId, 'localhost')
      assert.equal(options.userVerification, 'required')
      const sent = sms.sent.length
      const res = await post(ta.app, '/api/v1/auth/passkey/verify', {
        credential: authenticator.get(options),
        device_name: 'My laptop',
      })
      assert.equal(res.statusCode, 200, res.body)
      const body = res.json()
      assert.equal(sms.sent.length, sent, 'no SMS for a passkey sign-in')
      assert.deepEqual(Object.keys(body).sort(), Object.keys(session).sort())
      assert.equal(body.user.id, session.user.id)
      assert.equal(body.user.role, 'passenger')
      assert.equal(body.is_new_user, false)
      assert.notEqual(body.refresh_token, session.refresh_token)
      const me = await ta.app.inject({ url: '/api/v1/users/me', headers: auth(body.access_token) })
      assert.equal(me.statusCode, 200)
      assert.equal(me.json().phone, PHONE)

      const list = await ta.app.inject({ url: '/api/v1/passkeys', headers: auth(body.access_token) })
      assert.equal(list.statusCode, 200)
      const [listed] = list.json().passkeys
      assert.equal(listed.id, passkey.id)
      assert.ok(listed.last_used_at !== null, 'the sign-in is its last use')

      // Counted for the cost view: one sign-in, the SMS Eskiz would have sent to an Uzbek number.
      const rows = await ta.app.storage.db.db.selectFrom('passkey_sign_ins').selectAll().execute()
      assert.deepEqual(
        rows.map((r) => [r.app, r.country, r.provider, r.saved, r.currency]),
        [['passenger', 'UZ', 'eskiz', 90, 'UZS']],
      )
      const metrics = await ta.app.inject({ url: '/metrics' })
      assert.match(metrics.body, /passkey_sign_ins_total\{app="passenger"\} 1/)
      assert.match(metrics.body, /passkey_sms_saved_usd_total\{country="UZ"\} 0\.00\d+/)
    })

    test('a replayed assertion, a used or foreign challenge and a wrong origin are refused', async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const { session, authenticator } = await registered(ta)
      const assertion = authenticator.get(await signInOptions(ta.app))
      const first = await post(ta.app, '/api/v1/auth/passkey/verify', { credential: assertion })
      assert.equal(first.statusCode, 200, first.body)
      const replay = await post(ta.app, '/api/v1/auth/passkey/verify', { credential: assertion })
      assert.equal(replay.statusCode, 400)
      assert.equal(replay.json().code, 'PASSKEY_CHALLENGE_INVALID')

      // A registration's challenge does not sign anyone in.
      const reg = await post(
        ta.app,
        '/api/v1/passkeys/register/options',
        undefined,
        auth(session.access_token),
      )
      const crossed = await post(ta.app, '/api/v1/auth/passkey/verify', {
        credential: authenticator.get(reg.json()),
      })
      assert.equal(crossed.json().code, 'PASSKEY_CHALLENGE_INVALID')

      // Another user's registration challenge does not register a passkey for this one.
      const other = await signIn(ta, '+998931112233')
      const theirs = await post(
        ta.app,
        '/api/v1/passkeys/register/options',
        undefined,
        auth(other.access_token),
      )
      const stolen = await post(
        ta.app,
        '/api/v1/passkeys/register/verify',
        { credential: authenticator.create(theirs.json()) },
        auth(session.access_token),
      )
      assert.equal(stolen.json().code, 'PASSKEY_CHALLENGE_INVALID')

      const phishing = authenticator.get(await signInOptions(ta.app), {
        origin: 'https://royaltaxi.example',
        credential: authenticator.credentials[0],
      })
      const refused = await post(ta.app, '/api/v1/auth/passkey/verify', { credential: phishing })
      assert.equal(refused.statusCode, 400)
      assert.equal(refused.json().code, 'PASSKEY_INVALID')
      assert.equal(refused.headers['content-type'], 'application/json; charset=utf-8')
    })

    test('one assertion sent ten times at once signs in exactly once', async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const { authenticator } = await registered(ta)
      const assertion = authenticator.get(await signInOptions(ta.app))
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          post(ta.app, '/api/v1/auth/passkey/verify', { credential: assertion }),
        ),
      )
      assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, ...Array(9).fill(400)])
      const rows = await ta.app.storage.db.db.selectFrom('passkey_sign_ins').select('id').execute()
      assert.equal(rows.length, 1)
    })

    test('a counter that goes backwards is refused (a cloned authenticator); one that goes on is accepted', async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const { authenticator } = await registered(
        ta,
        PHONE,
        new SoftAuthenticator({ origin: ORIGIN, counts: true }),
      )
      const ok = await post(ta.app, '/api/v1/auth/passkey/verify', {
        credential: authenticator.get(await signInOptions(ta.app), { counter: 10 }),
      })
      assert.equal(ok.statusCode, 200, ok.body)
      for (const counter of [10, 9]) {
        const res = await post(ta.app, '/api/v1/auth/passkey/verify', {
          credential: authenticator.get(await signInOptions(ta.app), { counter }),
        })
        assert.equal(res.statusCode, 400)
        assert.equal(res.json().code, 'PASSKEY_INVALID')
      }
      const next = await post(ta.app, '/api/v1/auth/passkey/verify', {
        credential: authenticator.get(await signInOptions(ta.app), { counter: 11 }),
      })
      assert.equal(next.statusCode, 200, next.body)
    })

    test('without user verification nothing is registered or signed in', async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const session = await signIn(ta)
      const lazy = new SoftAuthenticator({ origin: ORIGIN, verified: false })
      const options = await post(
        ta.app,
        '/api/v1/passkeys/register/options',
        undefined,
        auth(session.access_token),
      )
      const res = await post(
        ta.app,
        '/api/v1/passkeys/register/verify',
        { credential: lazy.create(options.json()) },
        auth(session.access_token),
      )
      assert.equal(res.json().code, 'PASSKEY_INVALID')
      const list = await ta.app.inject({ url: '/api/v1/passkeys', headers: auth(session.access_token) })
      assert.deepEqual(list.json(), { passkeys: [] })
    })

    test('deleting: 404 for another user’s passkey and an unknown id; one’s own goes, and signs in no more', async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const { session, authenticator, passkey } = await registered(ta)
      const other = await signIn(ta, '+998931112233')
      for (const [id, token] of [
        [passkey.id, other.access_token],
        ['0190a0b0-0000-7000-8000-000000000000', session.access_token],
      ]) {
        const res = await ta.app.inject({
          method: 'DELETE',
          url: `/api/v1/passkeys/${id}`,
          headers: auth(token),
        })
        assert.equal(res.statusCode, 404)
        assert.equal(res.json().code, 'PASSKEY_NOT_FOUND')
      }
      const mine = await ta.app.inject({
        method: 'DELETE',
        url: `/api/v1/passkeys/${passkey.id}`,
        headers: auth(session.access_token),
      })
      assert.equal(mine.statusCode, 204)
      const res = await post(ta.app, '/api/v1/auth/passkey/verify', {
        credential: authenticator.get(await signInOptions(ta.app)),
      })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().code, 'PASSKEY_UNKNOWN')
    })

    test('the driver app admits a passkey only while its number is on the roster', async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const { authenticator } = await registered(ta)
      const refused = await post(ta.app, '/api/v1/auth/passkey/verify', {
        credential: authenticator.get(await signInOptions(ta.app)),
        app: 'driver',
      })
      assert.equal(refused.statusCode, 403)
      assert.equal(refused.json().code, 'DRIVER_NOT_REGISTERED')
      await ta.app.stores.drivers.add([{ phone: PHONE, name: null }], 'admin')
      const res = await post(ta.app, '/api/v1/auth/passkey/verify', {
        credential: authenticator.get(await signInOptions(ta.app)),
        app: 'driver',
      })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.json().user.role, 'driver')
    })
  })
