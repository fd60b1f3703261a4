import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { jwtVerify, SignJWT } from 'jose'
import { Hs256 } from '../../src/sessions/jwt.js'

const KEY = Buffer.alloc(32, 7)
const ISSUER = 'royal-taxi'
const NOW = Date.UTC(2026, 10, 24, 12)
const IAT = Math.floor(NOW / 1000)
const CLAIMS = { sub: '42', iss: ISSUER, iat: IAT, exp: IAT + 900 }
const jwt = new Hs256(KEY)
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
/** A token over any header and payload, signed with `key` as HS256 would be. */
const forge = (header: unknown, payload: unknown, key: Buffer = KEY) => {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

test('the tokens are the ones jose makes from the same claims, byte for byte, and jose accepts them', async () => {
  const ours = jwt.sign(CLAIMS)
  const theirs = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('42')
    .setIssuer(ISSUER)
    .setIssuedAt(IAT)
    .setExpirationTime(IAT + 900)
    .sign(KEY)
  assert.equal(ours, theirs)
  const { payload } = await jwtVerify(ours, KEY, {
    algorithms: ['HS256'],
    issuer: ISSUER,
    currentDate: new Date(NOW),
  })
  assert.deepEqual(payload, CLAIMS)
})

test('tokens jose signs with the key are accepted, with or without typ', async () => {
  const token = await new SignJWT({ sub: '7' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setExpirationTime(IAT + 60)
    .sign(KEY)
  assert.deepEqual(jwt.verify(token, ISSUER, NOW), { sub: '7', iss: ISSUER, exp: IAT + 60 })
  assert.deepEqual(jwt.verify(jwt.sign(CLAIMS), ISSUER, NOW), CLAIMS)
})

test('expired is told apart from invalid, and only for a token with a good signature', () => {
  const expired = { ...CLAIMS, exp: IAT }
  assert.equal(jwt.verify(jwt.sign(expired), ISSUER, NOW), 'expired')
  assert.equal(jwt.verify(forge({ alg: 'HS256' }, expired, Buffer.alloc(32, 8)), ISSUER, NOW), 'invalid')
  const oneSecond = jwt.sign({ ...CLAIMS, exp: IAT + 1 })
  assert.equal(
    typeof jwt.verify(oneSecond, ISSUER, NOW + 999),
    'object',
    'valid until its last second is over',
  )
  assert.equal(jwt.verify(oneSecond, ISSUER, NOW + 1000), 'expired')
})

test('refused: other algorithms, extensions, other keys, altered tokens, missing or bad claims', () => {
  const good = jwt.sign(CLAIMS)
  const [header, payload, signature] = good.split('.') as [string, string, string]
  const refused: [string, string][] = [
    ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`],
    ['alg none, the old signature', `${b64({ alg: 'none' })}.${payload}.${signature}`],
    ['HS512 header over an HS256 signature', forge({ alg: 'HS512', typ: 'JWT' }, CLAIMS)],
    ['RS256 header (algorithm confusion)', forge({ alg: 'RS256', typ: 'JWT' }, CLAIMS)],
    ['alg in another case', forge({ alg: 'hs256' }, CLAIMS)],
    ['a critical extension', forge({ alg: 'HS256', crit: ['b64'], b64: false }, CLAIMS)],
    ['another typ', forge({ alg: 'HS256', typ: 'at+jwt' }, CLAIMS)],
    ['a header that is not an object', forge(['HS256'], CLAIMS)],
    ['another key', forge({ alg: 'HS256', typ: 'JWT' }, CLAIMS, Buffer.alloc(32, 8))],
    ['another payload under the signature', `${header}.${b64({ ...CLAIMS, sub: '43' })}.${signature}`],
    ['a shortened signature', `${header}.${payload}.${signature.slice(0, -2)}`],
    ['a padded signature', `${good}=`],
    [
      'a signature in standard base64',
      `${header}.${payload}.${Buffer.from(signature, 'base64url').toString('base64')}`,
    ],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${good}.${signature}`],
    ['an empty string', ''],
    ['another issuer', forge({ alg: 'HS256' }, { ...CLAIMS, iss: 'someone-else' })],
    ['no issuer', forge({ alg: 'HS256' }, { sub: '42', exp: IAT + 60 })],
    ['no expiry', forge({ alg: 'HS256' }, { sub: '42', iss: ISSUER })],
    ['an expiry as a string', forge({ alg: 'HS256' }, { ...CLAIMS, exp: String(IAT + 60) })],
    ['not before the future', forge({ alg: 'HS256' }, { ...CLAIMS, nbf: IAT + 60 })],
    ['iat as a string', forge({ alg: 'HS256' }, { ...CLAIMS, iat: 'now' })],
    ['a payload that is an array', forge({ alg: 'HS256' }, [CLAIMS])],
    [
      'a payload that is not JSON',
      (() => {
        const input = `${b64({ alg: 'HS256' })}.${Buffer.from('{"sub":').toString('base64url')}`
        return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`
      })(),
    ],
  ]
  for (const [name, token] of refused) assert.equal(jwt.verify(token, ISSUER, NOW), 'invalid', name)
  assert.deepEqual(jwt.verify(forge({ alg: 'HS256' }, { ...CLAIMS, nbf: IAT }), ISSUER, NOW), {
    ...CLAIMS,
    nbf: IAT,
  })
})

test('any string at all is refused without throwing, unless it is a token we signed', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (s) => jwt.verify(s, ISSUER, NOW) === 'invalid'),
    { numRuns: 2000 },
  )
  const good = jwt.sign(CLAIMS)
  fc.assert(
    fc.property(fc.nat({ max: good.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }), (at, ch) => {
      const altered = good.slice(0, at) + ch + good.slice(at + 1)
      return altered === good || jwt.verify(altered, ISSUER, NOW) === 'invalid'
    }),
    { numRuns: 2000 },
  )
})
