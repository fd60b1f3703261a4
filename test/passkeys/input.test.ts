import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildTestApp, configProblems, LIVE_SMS, post, STRONG_SECRET, testConfig } from '../helpers.js'
import { SoftAuthenticator } from './authenticator.js'
import { auth, ORIGIN, PHONE, registered, signInOptions } from './flow.js'

describe('passkeys: bad input and settings', () => {
  test('registering needs a bearer; a second registration of one credential is refused', async (t) => {
    const ta = await buildTestApp(t)
    const none = await post(ta.app, '/api/v1/passkeys/register/options', undefined)
    assert.equal(none.statusCode, 401)
    assert.equal(none.json().code, 'UNAUTHORIZED')
    const list = await ta.app.inject({ url: '/api/v1/passkeys' })
    assert.equal(list.json().code, 'UNAUTHORIZED')

    const { session, authenticator } = await registered(ta)
    const options = await post(
      ta.app,
      '/api/v1/passkeys/register/options',
      undefined,
      auth(session.access_token),
    )
    const excluded = options.json().excludeCredentials
    assert.equal(excluded.length, 1, 'the browser is told which passkey the user has')
    // An authenticator that ignores excludeCredentials and attests the same credential again.
    const again = authenticator.create(options.json(), authenticator.credentials[0])
    assert.equal(again.id, excluded[0].id)
    const res = await post(
      ta.app,
      '/api/v1/passkeys/register/verify',
      { credential: again },
      auth(session.access_token),
    )
    assert.equal(res.statusCode, 409)
    assert.equal(res.json().code, 'PASSKEY_ALREADY_REGISTERED')
  })

  test('malformed bodies are 422 with the field named; an expired challenge is refused', async (t) => {
    const ta = await buildTestApp(t)
    const bad = await post(ta.app, '/api/v1/auth/passkey/verify', { credential: { id: 'x' } })
    assert.equal(bad.statusCode, 422)
    assert.equal(bad.json().code, 'VALIDATION_ERROR')
    const extra = await post(ta.app, '/api/v1/auth/passkey/verify', { credential: {}, phone: PHONE })
    assert.equal(extra.statusCode, 422)

    const { authenticator } = await registered(ta)
    const options = await signInOptions(ta.app)
    await ta.app.storage.db.db
      .updateTable('passkey_challenges')
      .set({ expires_at: Date.now() - 1 })
      .execute()
    const res = await post(ta.app, '/api/v1/auth/passkey/verify', { credential: authenticator.get(options) })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'PASSKEY_CHALLENGE_INVALID')
  })

  test('every passkey endpoint counts against PASSKEY_IP_LIMIT_PER_MINUTE', async (t) => {
    const ta = await buildTestApp(t, { env: { PASSKEY_IP_LIMIT_PER_MINUTE: '3' } })
    const codes = []
    for (const url of [
      '/api/v1/auth/passkey/options',
      '/api/v1/passkeys',
      '/api/v1/auth/passkey/verify',
      '/api/v1/passkeys/register/options',
    ])
      codes.push(
        (await ta.app.inject({ method: url === '/api/v1/passkeys' ? 'GET' : 'POST', url })).statusCode,
      )
    assert.deepEqual(codes.slice(0, 3), [200, 401, 422])
    assert.equal(codes[3], 429)
    const other = await ta.app.inject({
      method: 'POST',
      url: '/api/v1/auth/passkey/options',
      remoteAddress: '203.0.113.9',
    })
    assert.equal(other.statusCode, 200, 'another IP is not held back')
  })

  test('an Android app’s origin from PASSKEY_ORIGINS signs in; the web origin not listed does not', async (t) => {
    const android = `android:apk-key-hash:${'Ab_-'.repeat(10)}xyz`
    const ta = await buildTestApp(t, {
      env: { PASSKEY_RP_ID: 'localhost', PASSKEY_ORIGINS: `http://localhost:3000,${android}` },
    })
    const { authenticator } = await registered(ta, PHONE, new SoftAuthenticator({ origin: android }))
    const ok = await post(ta.app, '/api/v1/auth/passkey/verify', {
      credential: authenticator.get(await signInOptions(ta.app)),
    })
    assert.equal(ok.statusCode, 200, ok.body)
    const web = authenticator.get(await signInOptions(ta.app), { origin: ORIGIN })
    const res = await post(ta.app, '/api/v1/auth/passkey/verify', { credential: web })
    assert.equal(res.json().code, 'PASSKEY_INVALID', 'only the listed origins when PASSKEY_ORIGINS is set')
  })

  test('the OpenAPI document lists every passkey endpoint', async (t) => {
    const ta = await buildTestApp(t)
    const doc = (await ta.app.inject('/openapi.json')).json()
    for (const [path, method] of [
      ['/api/v1/passkeys/register/options', 'post'],
      ['/api/v1/passkeys/register/verify', 'post'],
      ['/api/v1/passkeys', 'get'],
      ['/api/v1/passkeys/{id}', 'delete'],
      ['/api/v1/auth/passkey/options', 'post'],
      ['/api/v1/auth/passkey/verify', 'post'],
    ])
      assert.ok(doc.paths[path as string]?.[method as string], `${method} ${path}`)
  })
})

describe('passkey settings', () => {
  const ANDROID = `android:apk-key-hash:${'x'.repeat(43)}`

  test('development: localhost, any local port; set: the RP id and its https origin', () => {
    assert.deepEqual(testConfig().passkeys, {
      rpId: 'localhost',
      rpName: 'Royal Taxi',
      origins: [],
      anyLocalhostPort: true,
    })
    assert.deepEqual(testConfig({ PASSKEY_RP_ID: 'RoyalTaxi.uz', PASSKEY_RP_NAME: 'Royal' }).passkeys, {
      rpId: 'royaltaxi.uz',
      rpName: 'Royal',
      origins: ['https://royaltaxi.uz'],
      anyLocalhostPort: false,
    })
    const listed = testConfig({
      PASSKEY_RP_ID: 'royaltaxi.uz',
      PASSKEY_ORIGINS: ` https://royaltaxi.uz, https://id.royaltaxi.uz:8443 ,${ANDROID}`,
    }).passkeys
    assert.deepEqual(listed?.origins, ['https://royaltaxi.uz', 'https://id.royaltaxi.uz:8443', ANDROID])
  })

  test('production without PASSKEY_RP_ID: passkeys off, the endpoints answer 404 PASSKEYS_DISABLED', async (t) => {
    const env = { APP_ENV: 'production', SECRET_KEY: STRONG_SECRET, ...LIVE_SMS }
    assert.equal(testConfig(env).passkeys, null)
    assert.equal(testConfig({ ...env, PASSKEY_RP_ID: 'royaltaxi.uz' }).passkeys?.rpId, 'royaltaxi.uz')
    const ta = await buildTestApp(t, { env })
    for (const [method, url] of [
      ['POST', '/api/v1/auth/passkey/options'],
      ['GET', '/api/v1/passkeys'],
    ] as const) {
      const res = await ta.app.inject({ method, url })
      assert.equal(res.statusCode, 404)
      assert.equal(res.json().code, 'PASSKEYS_DISABLED')
    }
  })

  test('every wrong origin is named with the reason', () => {
    const base = { APP_ENV: 'test', SECRET_KEY: STRONG_SECRET, PASSKEY_RP_ID: 'royaltaxi.uz' }
    assert.deepEqual(
      configProblems({
        ...base,
        PASSKEY_ORIGINS:
          'https://evil.uz,http://royaltaxi.uz,https://royaltaxi.uz/,android:apk-key-hash:short,ftp://royaltaxi.uz',
      }),
      [
        'PASSKEY_ORIGINS: evil.uz is neither PASSKEY_RP_ID (royaltaxi.uz) nor a subdomain of it, so browsers refuse its passkeys (got "https://evil.uz")',
        'PASSKEY_ORIGINS: only localhost may use http:, others need https: (got "http://royaltaxi.uz")',
        'PASSKEY_ORIGINS: write the origin alone, as https://royaltaxi.uz (got "https://royaltaxi.uz/")',
        'PASSKEY_ORIGINS: an Android origin is android:apk-key-hash: and 43 base64url characters (the SHA-256 of the signing certificate) (got "android:apk-key-hash:short")',
        'PASSKEY_ORIGINS: expected https:// or android:apk-key-hash: (got "ftp://royaltaxi.uz")',
      ],
    )
    assert.deepEqual(configProblems({ ...base, PASSKEY_RP_ID: 'https://royaltaxi.uz' }).length, 1)
    assert.match(
      configProblems({ ...base, PASSKEY_RP_ID: '10.0.0.1' })[0] ?? '',
      /^PASSKEY_RP_ID: expected the domain/,
    )
    assert.deepEqual(
      configProblems({
        APP_ENV: 'production',
        SECRET_KEY: STRONG_SECRET,
        ...LIVE_SMS,
        PASSKEY_ORIGINS: 'https://royaltaxi.uz',
      }),
      ['PASSKEY_ORIGINS: set PASSKEY_RP_ID too (the domain the passkeys belong to)'],
    )
  })
})
