import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose'
import { buildApp } from '../../src/app.js'
import {
  BACKENDS,
  buildTestApp,
  configProblems,
  FakeSms,
  LIVE_SMS,
  LogCapture,
  testConfig,
} from '../helpers.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  describe(backend.name, { skip: backend.skip }, () => {
    test('GET /.well-known/jwks.json: the public keys, cacheable, never a private member', async (t) => {
      const { app } = await buildTestApp(t, { env: await backend.env(t) })
      const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['cache-control'], 'public, max-age=60')
      assert.match(String(res.headers['content-type']), /^application\/json/)
      const { keys } = res.json() as { keys: Record<string, string>[] }
      assert.equal(keys.length, 1)
      assert.deepEqual(keys[0], { ...app.keyRing.jwks().keys[0] })
      assert.equal(keys[0]?.kid, app.keyRing.current().kid)
      assert.deepEqual(
        [keys[0]?.kty, keys[0]?.crv, keys[0]?.alg, keys[0]?.use],
        ['OKP', 'Ed25519', 'EdDSA', 'sig'],
      )
      for (const member of PRIVATE_MEMBERS) assert.ok(!(member in (keys[0] ?? {})), member)
    })

    test('the key survives a restart on the same database', async (t) => {
      const env = await backend.env(t)
      const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-'))
      t.after(() => rmSync(dir, { recursive: true, force: true }))
      const kids: string[] = []
      for (let i = 0; i < 2; i++) {
        const app = await buildApp(testConfig(env, dir), {
          smsProviders: [new FakeSms()],
          logDestination: new LogCapture(),
        })
        kids.push(app.keyRing.current().kid)
        await app.close()
      }
      assert.equal(kids[0], kids[1])
    })

    test('a start with another SECRET_KEY than the keys were sealed with fails, naming the cause', async (t) => {
      const env = await backend.env(t)
      const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-'))
      t.after(() => rmSync(dir, { recursive: true, force: true }))
      const overrides = () => ({ smsProviders: [new FakeSms()], logDestination: new LogCapture() })
      await (await buildApp(testConfig(env, dir), overrides())).close()
      const changed = testConfig({ ...env, SECRET_KEY: 'a-different-secret-key-0123456789-abcdefgh' }, dir)
      await assert.rejects(
        buildApp(changed, overrides()),
        /cannot be decrypted with this SECRET_KEY: was SECRET_KEY changed/,
      )
    })
  })

test('GET /.well-known/openid-configuration: issuer and an absolute jwks_uri from the request', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({
    method: 'GET',
    url: '/.well-known/openid-configuration',
    headers: { host: 'auth.example.test:8443' },
  })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['cache-control'], 'public, max-age=300')
  assert.deepEqual(res.json(), {
    issuer: 'royal-taxi-auth',
    jwks_uri: 'http://auth.example.test:8443/.well-known/jwks.json',
    id_token_signing_alg_values_supported: ['EdDSA'],
    subject_types_supported: ['public'],
    claims_supported: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'phone', 'role'],
  })
})

test('with PUBLIC_BASE_URL, the issuer and jwks_uri are under it; TOKEN_ISSUER wins for the issuer', async (t) => {
  const { app } = await buildTestApp(t, { env: { PUBLIC_BASE_URL: 'https://auth.royaltaxi.uz/' } })
  const doc = (await app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json()
  assert.equal(doc.issuer, 'https://auth.royaltaxi.uz')
  assert.equal(doc.jwks_uri, 'https://auth.royaltaxi.uz/.well-known/jwks.json')

  const other = await buildTestApp(t, {
    env: {
      PUBLIC_BASE_URL: 'https://auth.royaltaxi.uz',
      TOKEN_ISSUER: 'royal-taxi',
      TOKEN_ALGORITHM: 'ES256',
    },
  })
  const es = (await other.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json()
  assert.equal(es.issuer, 'royal-taxi')
  assert.deepEqual(es.id_token_signing_alg_values_supported, ['ES256'])
})

test('both documents are in the OpenAPI document', async (t) => {
  const { app } = await buildTestApp(t)
  const { paths } = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  assert.ok(paths['/.well-known/jwks.json']?.get?.responses?.['200'])
  assert.ok(paths['/.well-known/openid-configuration']?.get?.responses?.['200'])
})

test('a token signed with the current key verifies against nothing but the JWKS URL (jose)', async (t) => {
  const { app } = await buildTestApp(t)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const { kid, alg, privateKey } = app.keyRing.current()
  const token = await new SignJWT({ role: 'passenger' })
    .setProtectedHeader({ alg, kid })
    .setIssuer('royal-taxi-auth')
    .setAudience('royal-taxi')
    .setSubject('1')
    .setExpirationTime('5m')
    .sign(privateKey)
  const jwks = createRemoteJWKSet(new URL(`${address}/.well-known/jwks.json`))
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: 'royal-taxi-auth',
    audience: 'royal-taxi',
    algorithms: ['EdDSA', 'ES256'],
  })
  assert.equal(payload.sub, '1')
  assert.equal(protectedHeader.kid, kid)
})

test('production without SECRET_KEY refuses to start, whether or not the database has a key', () => {
  const problems = configProblems({ APP_ENV: 'production', ...LIVE_SMS })
  assert.ok(
    problems.includes('SECRET_KEY: required in production (a random string of 32 characters or more)'),
    problems.join('\n'),
  )
})

test('outside production, without SECRET_KEY, the service starts again on the same database (the unreadable key is replaced)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const kids: string[] = []
  for (let i = 0; i < 2; i++) {
    const logs = new LogCapture()
    // As loadConfig leaves it outside production when SECRET_KEY is unset: a new random key per start.
    const config = testConfig({}, dir)
    const app = await buildApp(
      { ...config, secretKey: `generated-${i}-0123456789abcdefghijklmnop`, secretKeyGenerated: true },
      {
        smsProviders: [new FakeSms()],
        logDestination: logs,
      },
    )
    kids.push(app.keyRing.current().kid)
    await app.close()
    if (i === 1) assert.match(logs.text(), /SECRET_KEY is generated for this run/)
  }
  assert.notEqual(kids[0], kids[1])
})

test('token settings: defaults, bounds, and the issuer from PUBLIC_BASE_URL', () => {
  assert.deepEqual(testConfig().tokens, {
    algorithm: 'EdDSA',
    issuer: 'royal-taxi-auth',
    audience: 'royal-taxi',
    accessTokenSeconds: 900,
    publicBaseUrl: null,
  })
  assert.deepEqual(
    testConfig({
      TOKEN_ALGORITHM: 'ES256',
      TOKEN_AUDIENCE: 'rides',
      ACCESS_TOKEN_MINUTES: '5',
      PUBLIC_BASE_URL: 'https://a.uz/auth/',
    }).tokens,
    {
      algorithm: 'ES256',
      issuer: 'https://a.uz/auth',
      audience: 'rides',
      accessTokenSeconds: 300,
      publicBaseUrl: 'https://a.uz/auth',
    },
  )
  assert.deepEqual(
    configProblems({ TOKEN_ALGORITHM: 'HS256', ACCESS_TOKEN_MINUTES: '61', TOKEN_AUDIENCE: 'a b' }),
    [
      'TOKEN_ALGORITHM: expected EdDSA (Ed25519) or ES256 (ECDSA P-256) (got "HS256")',
      'TOKEN_AUDIENCE: expected the aud claim, without spaces (got "a b")',
      'ACCESS_TOKEN_MINUTES: expected minutes an access token is valid (1..60) (got "61")',
    ],
  )
})
