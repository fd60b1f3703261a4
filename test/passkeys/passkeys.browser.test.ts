import assert from 'node:assert/strict'
import { test } from 'node:test'
import { noChromium, openPage, serve, virtualAuthenticator } from '../browser.js'
import { buildTestApp, FakeSms } from '../helpers.js'

// The whole passkey flow in Debian's Chromium with a CDP virtual authenticator (a platform authenticator with
// resident keys and user verification): a code sign-in, a passkey registered, sign-out, then sign-in with the
// passkey and no SMS. The page is the app's own origin (http://localhost:<port>/health) and speaks WebAuthn
// directly: PublicKeyCredential.parse*OptionsFromJSON() and toJSON(), as a web client would.

// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely to keep the DOM lib out of Node code
declare const PublicKeyCredential: any, navigator: any
// biome-ignore lint/suspicious/noExplicitAny: what the page functions return, JSON of the API's answers
type Loose = any

const PHONE = '+998901234567'

test('passkeys in Chromium: register after a code, sign out, sign back in with the passkey and no SMS', {
  skip: noChromium,
  timeout: 120_000,
}, async (t) => {
  const sms = new FakeSms('eskiz')
  const ta = await buildTestApp(t, { providers: [sms] })
  const base = await serve(ta)
  // /health is JSON under the API's CSP (default-src 'none'), which would block the page's fetch(); a web
  // client's own page allows connect-src 'self' (as /login does). The CSP is not what this test is about.
  // Chromium logs as errors the refresh refused (401) after sign-out and its own request for /favicon.ico
  // (404: the API has none).
  const { page, problems } = await openPage(t, { bypassCSP: true, refused: [401, 404] })
  const authenticator = await virtualAuthenticator(page)
  await page.goto(`${base}/health`)

  // 1. A code sign-in (development mode: the code comes back as otp_code; it went through the fake gateway).
  // No helper functions inside the page functions: tsx would wrap them in a __name() the page does not have.
  const first: Loose = await page.evaluate(async (phone) => {
    const post = { method: 'POST', headers: { 'content-type': 'application/json' } }
    const sent: Loose = await fetch('/api/v1/auth/send-otp', { ...post, body: JSON.stringify({ phone }) })
    const code = (await sent.json()).otp_code
    const verified: Loose = await fetch('/api/v1/auth/verify-otp', {
      ...post,
      body: JSON.stringify({ phone, code }),
    })
    const signedIn = await verified.json()
    const bearer = { authorization: `Bearer ${signedIn.access_token}` }

    // 2. Register a passkey: the server's options, the authenticator's answer, the server's check.
    const optionsRes: Loose = await fetch('/api/v1/passkeys/register/options', {
      method: 'POST',
      headers: bearer,
    })
    const created = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(await optionsRes.json()),
    })
    const registered: Loose = await fetch('/api/v1/passkeys/register/verify', {
      method: 'POST',
      headers: { ...post.headers, ...bearer },
      body: JSON.stringify({ credential: created.toJSON() }),
    })

    // 3. Sign out: the session's refresh token stops working.
    const token = JSON.stringify({ refresh_token: signedIn.refresh_token })
    const logout: Loose = await fetch('/api/v1/auth/logout', { ...post, body: token })
    const refresh: Loose = await fetch('/api/v1/auth/refresh', { ...post, body: token })
    return {
      sent: sent.status,
      signedIn,
      registered: { status: registered.status, body: await registered.json() },
      logout: logout.status,
      refresh: refresh.status,
    }
  }, PHONE)
  assert.equal(first.sent, 200)
  assert.equal(first.registered.status, 201, JSON.stringify(first.registered.body))
  assert.match(first.registered.body.name, /Chrome/)
  assert.equal(first.logout, 204)
  assert.equal(first.refresh, 401)
  assert.equal(sms.sent.length, 1, 'one SMS: the code of the first sign-in')

  const stored = await authenticator.credentials()
  assert.equal(stored.credentials.length, 1)
  assert.equal(stored.credentials[0]?.isResidentCredential, true, 'a discoverable credential')

  // 4. Sign back in with the passkey: no phone number, no code.
  const second: Loose = await page.evaluate(async () => {
    const optionsRes: Loose = await fetch('/api/v1/auth/passkey/options', { method: 'POST' })
    const options = await optionsRes.json()
    const assertion = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    })
    const res: Loose = await fetch('/api/v1/auth/passkey/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ credential: assertion.toJSON(), device_name: 'Test browser' }),
    })
    const body = await res.json()
    const me: Loose = await fetch('/api/v1/users/me', {
      headers: { authorization: `Bearer ${body.access_token}` },
    })
    const list: Loose = await fetch('/api/v1/passkeys', {
      headers: { authorization: `Bearer ${body.access_token}` },
    })
    return { status: res.status, body, me: await me.json(), passkeys: (await list.json()).passkeys }
  })
  assert.equal(second.status, 200, JSON.stringify(second.body))
  assert.equal(second.body.user.id, first.signedIn.user.id, 'the same user')
  assert.equal(second.body.is_new_user, false)
  assert.equal(second.body.token_type, 'bearer')
  assert.equal(second.me.phone, PHONE)
  assert.equal(second.passkeys.length, 1)
  assert.ok(second.passkeys[0].last_used_at, 'the passkey shows its use')
  assert.equal(sms.sent.length, 1, 'no SMS for the passkey sign-in')

  // The sign-in is counted for the cost view, with the Eskiz SMS it spared.
  const billed = await ta.app.storage.db.db.selectFrom('passkey_sign_ins').selectAll().execute()
  assert.deepEqual(
    billed.map((r) => [r.country, r.provider, r.saved, r.currency]),
    [['UZ', 'eskiz', 90, 'UZS']],
  )
  assert.deepEqual(problems, [])
})
