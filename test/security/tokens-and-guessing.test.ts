import assert from 'node:assert/strict'
import { createHmac, createPublicKey, sign as edSign, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { type JWTHeaderParameters, SignJWT } from 'jose'
import { deriveKey, randomToken } from '../../src/crypto.js'
import { BACKENDS, buildTestApp, post, SECRET, signIn } from '../helpers.js'

const ME = '/api/v1/users/me'
const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const REFRESH = '/api/v1/auth/refresh'
const PHONE = '+998901234567'
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const wrong = (code: string) => String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0')

for (const backend of BACKENDS) {
  test(`[${backend.name}] brute force: 50 wrong codes at once under the default limits`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    await post(ta.app, SEND, { phone: PHONE })
    const code = ta.sms.codeFor(PHONE)
    const results = await Promise.all(
      Array.from({ length: 50 }, () => post(ta.app, VERIFY, { phone: PHONE, code: wrong(code) })),
    )
    const codes = results.map((r) => r.json().code)
    assert.ok(
      results.every((r) => r.statusCode === 400 || r.statusCode === 429),
      codes.join(),
    )
    // Per IP (30 a minute) and per code (5 comparisons): at most 4 "wrong code" answers, then the code is gone.
    assert.equal(codes.filter((c) => c === 'OTP_INVALID').length, 4)
    assert.equal(codes.filter((c) => c === 'RATE_LIMITED').length, 20)
    assert.equal(codes.filter((c) => c === 'OTP_TOO_MANY_ATTEMPTS').length, 26)
    const right = await ta.app.inject({
      method: 'POST',
      url: VERIFY,
      payload: { phone: PHONE, code },
      remoteAddress: '203.0.113.50',
    })
    assert.equal(
      right.json().code,
      'OTP_TOO_MANY_ATTEMPTS',
      'the right code is useless once the attempts are spent',
    )
  })

  test(`[${backend.name}] brute force: the daily bound on wrong codes holds under concurrency`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, {
      env: {
        ...(await backend.env(t)),
        OTP_MAX_FAILED_VERIFICATIONS_PER_DAY: '3',
        OTP_MAX_ATTEMPTS: '20',
        VERIFY_IP_LIMIT_PER_MINUTE: '1000',
      },
    })
    await post(ta.app, SEND, { phone: PHONE })
    const code = ta.sms.codeFor(PHONE)
    const results = await Promise.all(
      Array.from({ length: 50 }, () => post(ta.app, VERIFY, { phone: PHONE, code: wrong(code) })),
    )
    const codes = results.map((r) => r.json().code)
    assert.equal(codes.filter((c) => c === 'OTP_INVALID').length, 3, codes.join())
    assert.equal(codes.filter((c) => c === 'OTP_VERIFY_LIMIT').length, 47)
    assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code })).json().code, 'OTP_VERIFY_LIMIT')
  })
}

test('access tokens: alg none, other algorithms, other keys, tampering and expiry are refused', async (t) => {
  const ta = await buildTestApp(t)
  const s = await signIn(ta)
  const get = (token: string) =>
    ta.app.inject({ method: 'GET', url: ME, headers: { authorization: `Bearer ${token}` } })
  assert.equal((await get(s.access_token)).statusCode, 200)
  const [, payload, signature] = s.access_token.split('.') as [string, string, string]
  const ours = ta.app.keyRing.current()
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    sub: String(s.user.id),
    iss: 'royal-taxi-auth',
    aud: 'royal-taxi',
    phone: PHONE,
    role: 'passenger',
    jti: 'a-token',
    sid: 'a-session',
    iat: now,
    exp: now + 300,
  }
  /** A token with our claims (`extra` replaces or, undefined, removes one), signed by `key` as `alg`. */
  const sign = (
    extra: Record<string, unknown> = {},
    header: Record<string, unknown> = { alg: ours.alg, kid: ours.kid },
    key: KeyObject | Uint8Array = ours.privateKey,
  ) => {
    const all = Object.fromEntries(Object.entries({ ...claims, ...extra }).filter(([, v]) => v !== undefined))
    return new SignJWT(all).setProtectedHeader(header as JWTHeaderParameters).sign(key)
  }
  /** A token over any header, HMAC-signed with `key`, for headers jose would not write. */
  const hmacSigned = (header: unknown, key: Uint8Array) => {
    const input = `${b64(header as object)}.${b64(claims)}`
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
  }
  const publicPem = new TextEncoder().encode(
    createPublicKey(ours.privateKey).export({ format: 'pem', type: 'spki' }).toString(),
  )
  const publicX = Buffer.from(String(ta.app.keyRing.jwks().keys[0]?.x), 'base64url')
  const stranger = generateKeyPairSync('ed25519').privateKey

  const refused: [string, string, string][] = [
    ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'TOKEN_INVALID'],
    ['alg none, old signature', `${b64({ alg: 'none' })}.${payload}.${signature}`, 'TOKEN_INVALID'],
    ['alg NONE', `${b64({ alg: 'NONE' })}.${payload}.`, 'TOKEN_INVALID'],
    // Algorithm confusion: an HMAC whose secret is our public key, which anyone can read from the JWKS.
    [
      'HS256 with the public key (PEM)',
      await sign({}, { alg: 'HS256', kid: ours.kid }, publicPem),
      'TOKEN_INVALID',
    ],
    [
      'HS256 with the public key (raw)',
      await sign({}, { alg: 'HS256', kid: ours.kid }, publicX),
      'TOKEN_INVALID',
    ],
    [
      'RS256 header, our signature',
      `${b64({ alg: 'RS256', kid: ours.kid })}.${payload}.${signature}`,
      'TOKEN_INVALID',
    ],
    [
      'ES256 header, our EdDSA signature',
      `${b64({ alg: 'ES256', kid: ours.kid })}.${payload}.${signature}`,
      'TOKEN_INVALID',
    ],
    // The tokens of earlier versions: HS256 under a key derived from SECRET_KEY.
    [
      'an HS256 token of an earlier version',
      await sign({ iss: 'royal-taxi', aud: undefined }, { alg: 'HS256' }, deriveKey(SECRET, 'jwt-hs256')),
      'TOKEN_INVALID',
    ],
    [
      'HS256 with SECRET_KEY itself',
      await sign({}, { alg: 'HS256' }, new TextEncoder().encode(SECRET)),
      'TOKEN_INVALID',
    ],
    ['an unknown kid', await sign({}, { alg: 'EdDSA', kid: 'not-ours' }, stranger), 'TOKEN_INVALID'],
    ['our kid, another key', await sign({}, { alg: 'EdDSA', kid: ours.kid }, stranger), 'TOKEN_INVALID'],
    ['no kid', await sign({}, { alg: ours.alg }), 'TOKEN_INVALID'],
    ['wrong issuer', await sign({ iss: 'someone-else' }), 'TOKEN_INVALID'],
    ['wrong audience', await sign({ aud: 'payments' }), 'TOKEN_INVALID'],
    ['no audience', await sign({ aud: undefined }), 'TOKEN_INVALID'],
    ['unknown user', await sign({ sub: '424242' }), 'TOKEN_INVALID'],
    ['non-numeric subject', await sign({ sub: '1 OR 1=1' }), 'TOKEN_INVALID'],
    ['no role', await sign({ role: undefined }), 'TOKEN_INVALID'],
    ['a role we do not give', await sign({ role: 'admin' }), 'TOKEN_INVALID'],
    ['no phone', await sign({ phone: undefined }), 'TOKEN_INVALID'],
    ['no jti', await sign({ jti: undefined }), 'TOKEN_INVALID'],
    ['no session', await sign({ sid: undefined }), 'TOKEN_INVALID'],
    [
      'payload swapped, signature kept',
      `${s.access_token.split('.')[0]}.${b64({ ...claims, sub: '2' })}.${signature}`,
      'TOKEN_INVALID',
    ],
    ['no expiry', await sign({ exp: undefined }), 'TOKEN_INVALID'],
    ['not before the future', await sign({ nbf: now + 60 }), 'TOKEN_INVALID'],
    [
      'a critical extension',
      hmacSigned({ alg: 'HS256', crit: ['x-ext'], 'x-ext': 1 }, publicX),
      'TOKEN_INVALID',
    ],
    [
      'a critical extension, our key',
      ((input) => `${input}.${edSign(null, Buffer.from(input), ours.privateKey).toString('base64url')}`)(
        `${b64({ alg: ours.alg, kid: ours.kid, crit: ['x-ext'], 'x-ext': 1 })}.${b64(claims)}`,
      ),
      'TOKEN_INVALID',
    ],
    ['a header that is not an object', hmacSigned(['EdDSA'], publicX), 'TOKEN_INVALID'],
    ['expired', await sign({ iat: now - 3600, exp: now - 10 }), 'TOKEN_EXPIRED'],
  ]
  // The control: these claims, signed with our key, are accepted; each case above changes one thing.
  assert.equal((await get(await sign())).statusCode, 200)
  for (const [name, token, code] of refused) {
    const res = await get(token)
    assert.equal(res.statusCode, 401, name)
    assert.equal(res.json().code, code, name)
  }

  // Any string at all is refused, never thrown as anything but TOKEN_INVALID.
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 400 }), async (token) => {
      await assert.rejects(ta.app.sessions.authenticate(token), { code: 'TOKEN_INVALID' })
    }),
    { numRuns: 500 },
  )

  // Any one character of the header or payload changed: refused.
  const [head, body] = s.access_token.split('.') as [string, string]
  const signedPart = `${head}.${body}`
  await fc.assert(
    fc.asyncProperty(
      fc.nat(signedPart.length - 1),
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      async (i, c) => {
        fc.pre(signedPart[i] !== '.' && signedPart[i] !== c)
        const tampered = `${signedPart.slice(0, i)}${c}${signedPart.slice(i + 1)}.${signature}`
        const res = await get(tampered)
        assert.equal(res.statusCode, 401, tampered)
        assert.equal(res.json().code, 'TOKEN_INVALID')
      },
    ),
    { numRuns: 50 },
  )
})

test('refresh tokens: a tampered token is refused and does not spend or revoke the real one', async (t) => {
  const ta = await buildTestApp(t, { env: { REFRESH_IP_LIMIT_PER_MINUTE: '1000' } })
  const s = await signIn(ta)
  const token: string = s.refresh_token
  await fc.assert(
    fc.asyncProperty(
      fc.nat(token.length - 1),
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      async (i, c) => {
        fc.pre(token[i] !== c)
        const res = await post(ta.app, REFRESH, {
          refresh_token: `${token.slice(0, i)}${c}${token.slice(i + 1)}`,
        })
        assert.equal(res.statusCode, 401)
        assert.equal(res.json().code, 'REFRESH_TOKEN_INVALID')
      },
    ),
    { numRuns: 40 },
  )
  for (const forged of [`${token}x`, token.slice(0, -1), token.toUpperCase(), ' '.repeat(40), 'null'])
    assert.equal(
      (await post(ta.app, REFRESH, { refresh_token: forged })).json().code,
      'REFRESH_TOKEN_INVALID',
    )
  const real = await post(ta.app, REFRESH, { refresh_token: token })
  assert.equal(real.statusCode, 200, 'the genuine token still works')
})

test('refresh tokens are 256 random bits, base64url, never repeated, across refills of the random pool', () => {
  const seen = new Set<string>()
  // 20,000 tokens: many refills of the 4 KB pool (128 tokens each).
  for (let i = 0; i < 20_000; i++) {
    const token = randomToken()
    assert.match(token, /^[A-Za-z0-9_-]{43}$/)
    seen.add(token)
  }
  assert.equal(seen.size, 20_000)
  // Every byte value turns up, in every position of the token (no byte stuck or skipped across the pool).
  const first = new Set<number>()
  const last = new Set<number>()
  for (const token of [...seen].slice(0, 5000)) {
    const bytes = Buffer.from(token, 'base64url')
    first.add(bytes[0] as number)
    last.add(bytes[31] as number)
  }
  assert.equal(first.size, 256)
  assert.equal(last.size, 256)
  // Sizes that do not divide the pool, and one larger than it.
  assert.equal(Buffer.from(randomToken(33), 'base64url').length, 33)
  assert.equal(Buffer.from(randomToken(5000), 'base64url').length, 5000)
  assert.notEqual(randomToken(16), randomToken(16))
})
