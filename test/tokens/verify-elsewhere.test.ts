import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { decodeProtectedHeader } from 'jose'
import { rotateKeys } from '../../src/tokens/key-pairs.js'
import { BACKENDS, buildTestApp, post, SECRET, signIn } from '../helpers.js'

const run = promisify(execFile)

/**
 * Another service: a separate Node.js process that knows nothing but the JWKS URL, the issuer and the
 * audience, as docs/TOKENS.md tells other teams to write it. Prints the verified claims as JSON.
 */
const VERIFIER = `
import { createRemoteJWKSet, jwtVerify } from 'jose'
const [jwksUrl, token] = process.argv.slice(1)
const jwks = createRemoteJWKSet(new URL(jwksUrl))
const { payload } = await jwtVerify(token, jwks, {
  issuer: 'royal-taxi-auth',
  audience: 'royal-taxi',
  algorithms: ['EdDSA', 'ES256'],
})
console.log(JSON.stringify(payload))
`

async function verifyElsewhere(jwksUrl: string, token: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', VERIFIER, jwksUrl, token], {
    cwd: process.cwd(),
  })
  return JSON.parse(stdout)
}

test('a separate process verifies our access token with nothing but the JWKS URL', async (t) => {
  const ta = await buildTestApp(t)
  const address = await ta.app.listen({ port: 0, host: '127.0.0.1' })
  const s = await signIn(ta)
  const claims = await verifyElsewhere(`${address}/.well-known/jwks.json`, s.access_token)
  assert.equal(claims.sub, String(s.user.id))
  assert.equal(claims.phone, s.user.phone)
  assert.equal(claims.role, 'passenger')
  // And refuses what we did not sign.
  const [h, , sig] = s.access_token.split('.')
  const forged = Buffer.from(JSON.stringify({ ...claims, role: 'driver' })).toString('base64url')
  await assert.rejects(verifyElsewhere(`${address}/.well-known/jwks.json`, `${h}.${forged}.${sig}`))
})

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] after a rotation: new tokens carry the new kid, tokens signed before still verify`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { OTP_RESEND_SECONDS: '0', ...(await backend.env(t)) } })
    const address = await ta.app.listen({ port: 0, host: '127.0.0.1' })
    const before = await signIn(ta)
    const oldKid = decodeProtectedHeader(before.access_token).kid
    // What `royal-taxi keys rotate` does, from another process's point of view: the database changes, and
    // the running instance follows at its next reload (every 30 s; here at once).
    const { created } = await rotateKeys({
      store: ta.app.stores.keys,
      secret: SECRET,
      algorithm: 'EdDSA',
      accessTokenSeconds: 900,
    })
    await ta.app.keyRing.reload()
    const after = await post(ta.app, '/api/v1/auth/refresh', { refresh_token: before.refresh_token })
    assert.equal(decodeProtectedHeader(after.json().access_token).kid, created)
    assert.notEqual(created, oldKid)
    const jwks = (await ta.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
    assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid).sort(), [created, oldKid].sort())
    for (const token of [before.access_token, after.json().access_token]) {
      const me = await ta.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(me.statusCode, 200)
      assert.equal(
        (await verifyElsewhere(`${address}/.well-known/jwks.json`, token)).sub,
        String(before.user.id),
      )
    }
  })
