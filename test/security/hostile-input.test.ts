import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { ERROR_STATUS } from '../../src/errors.js'
import { buildTestApp, post, SECRET, type TestApp } from '../helpers.js'

// Generated hostile requests against every public endpoint. For each: no 5xx, a JSON body with a stable code
// on every error, no stack trace, path or secret in the answer, and nothing written to the database.

const RUNS = Number(process.env.FC_RUNS ?? 60)
const USER = '+998901112233'
const WEBHOOK_TOKEN = 'hook-token-0123456789-abcdefgh'
const FIELDS = ['phone', 'code', 'language', 'captcha_token', 'refresh_token', 'full_name']

/** Digits that look like 0-9 but are not ASCII: Arabic-Indic, Persian, full-width, Devanagari, bold, superscript. */
const LOOKALIKE_ZEROS = [0x660, 0x6f0, 0xff10, 0x966, 0x1d7ce, 0x2070]
const CONTROL = fc.constantFrom(
  '\u0000',
  '\u0007',
  '\b',
  '\u001b',
  '\u007f',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\r\n',
  '\t',
)

const lookalikePhone = fc
  .tuple(
    fc.constantFrom(...LOOKALIKE_ZEROS),
    fc.stringMatching(/^\+?998\d{9}$/),
    fc.integer({ min: 1, max: 12 }),
  )
  .map(([zero, phone, n]) => {
    // Replace at least one ASCII digit (from the nth on) with its look-alike.
    let replaced = 0
    return [...phone]
      .map((c, i) => {
        if (/\d/.test(c) && i >= Math.min(n, phone.length - 1) - 1 && replaced < 4) {
          replaced++
          return String.fromCodePoint(zero + Number(c))
        }
        return c
      })
      .join('')
  })
  .filter((p) => [...p].some((c) => (c.codePointAt(0) ?? 0) > 0x7f))

const controlPhone = fc
  .tuple(fc.stringMatching(/^\+998\d{9}$/), CONTROL, fc.nat(13))
  .map(([p, ctl, at]) => p.slice(0, at) + ctl + p.slice(at))
  .filter((p) => !/^[\s+\-.()\d]*$/.test(p))

const hugeString = fc.integer({ min: 65, max: 20_000 }).map((n) => '9'.repeat(n))

/** Strings that are never a valid phone number. */
const badPhone = fc.oneof(
  lookalikePhone,
  controlPhone,
  hugeString,
  fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !/^[\s+\-.()\d]*$/.test(s)),
  fc.constantFrom('', ' ', '+', '00', '+0000000000', '+998', `+1${'0'.repeat(14)}`, '١٢٣', 'NaN', 'null'),
)

const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 3 },
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value

const POISON_KEYS = ['__proto__', 'constructor', 'prototype', 'admin', 'isAdmin', 'role', 'id', 'user_id']

/** A JSON text, written by hand so that `__proto__` keys really are in it. */
function jsonObject(entries: [string, unknown][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`
}

/**
 * Bodies shaped like the endpoint's, each certainly invalid: a phone that is never valid, a field of the
 * wrong type, an unknown or prototype-polluting key, or all three.
 */
function hostileObject(fields: string[]): fc.Arbitrary<string> {
  const field = (name: string) =>
    name === 'phone' ? badPhone : fc.oneof(anyValue, fc.string({ unit: 'binary' }))
  const base = fc.record(Object.fromEntries(fields.map((f) => [f, field(f)])), { requiredKeys: [] })
  const extra = fc.array(
    fc.tuple(
      fc
        .oneof(fc.constantFrom(...POISON_KEYS), fc.string({ minLength: 1, maxLength: 12 }))
        .filter((k) => !FIELDS.includes(k)),
      fc.oneof(anyValue, fc.constant({ isAdmin: true, polluted: 1 })),
    ),
    { minLength: fields.includes('phone') ? 0 : 1, maxLength: 3 },
  )
  return fc.tuple(base, extra).map(([b, e]) => jsonObject([...Object.entries(b), ...e]))
}

const notJson = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"phone":',
    '{"phone":"+998901234567"',
    '[',
    'null',
    '1',
    '"x"',
    '[]',
    'true',
    '{}}',
    '\u0000',
  ),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
)

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonx',
  '',
]

/** Header values Node accepts (no CR/LF, Latin-1 only). */
const headerValue = fc
  .string({ unit: 'binary', maxLength: 300 })
  .map((s) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, ''))

interface Req {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'
  url: string
  payload?: string
  headers: Record<string, string>
}

/** Bodies of the right shape and types whose values are hostile: they get past the schema to the services. */
const WELL_TYPED: Record<string, fc.Arbitrary<string>> = {
  '/api/v1/auth/send-otp': fc
    .record(
      {
        phone: badPhone.filter((p) => p.length <= 64 && p.length > 0),
        language: fc.constantFrom('uz', 'ru', 'en'),
      },
      { requiredKeys: ['phone'] },
    )
    .map((b) => JSON.stringify(b)),
  '/api/v1/auth/verify-otp': fc
    .record({
      phone: badPhone.filter((p) => p.length <= 64 && p.length > 0),
      code: fc.stringMatching(/^\d{4,10}$/),
    })
    .map((b) => JSON.stringify(b)),
  '/api/v1/auth/refresh': fc
    .string({ unit: 'binary', minLength: 1, maxLength: 512 })
    .map((t) => JSON.stringify({ refresh_token: t })),
  '/api/v1/auth/logout': fc
    .string({ unit: 'binary', minLength: 1, maxLength: 512 })
    .map((t) => JSON.stringify({ refresh_token: t })),
}

function bodyRequest(url: string, fields: string[], method: Req['method'] = 'POST'): fc.Arbitrary<Req> {
  const wellTyped = WELL_TYPED[url]
  return fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: hostileObject(fields) },
        { weight: 1, arbitrary: notJson },
        ...(wellTyped ? [{ weight: 3, arbitrary: wellTyped }] : []),
      ),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant('application/json') },
        { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      fc.option(headerValue, { nil: undefined }),
    )
    .map(([payload, contentType, lang]) => ({
      method,
      url,
      payload,
      headers: {
        ...(contentType ? { 'content-type': contentType } : {}),
        ...(lang !== undefined ? { 'accept-language': lang } : {}),
      },
    }))
}

async function snapshot(ta: TestApp) {
  const db = ta.app.storage.db.db
  return {
    users: await db.selectFrom('users').selectAll().execute(),
    refresh_tokens: await db.selectFrom('refresh_tokens').selectAll().execute(),
    otp_codes: await db.selectFrom('otp_codes').selectAll().execute(),
    sms_log: await db.selectFrom('sms_log').selectAll().execute(),
    blocked_prefixes: await db.selectFrom('blocked_prefixes').selectAll().execute(),
    sms_receipts: await db.selectFrom('sms_receipts').selectAll().execute(),
    sms: ta.sms.sent.length,
  }
}

const CODES = new Set(Object.keys(ERROR_STATUS))
const LEAKS = /\n\s+at |node_modules|\/work\/|\.ts:\d+|\.js:\d+|SQLITE_|sqlite3|kysely|select .* from/i

async function check(
  app: FastifyInstance,
  req: Req,
  secrets: string[],
  seen: Map<string, number>,
): Promise<void> {
  const res = await app.inject(req)
  const where = `${req.method} ${req.url} ${JSON.stringify(req.payload)?.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`
  assert.ok(res.statusCode < 500, where)
  const outcome = `${res.statusCode} ${res.statusCode >= 400 ? res.json().code : ''}`.trim()
  seen.set(outcome, (seen.get(outcome) ?? 0) + 1)
  if (res.statusCode === 204) return
  assert.match(String(res.headers['content-type']), /^application\/json/, where)
  const body = JSON.parse(res.body)
  if (res.statusCode >= 400) {
    assert.ok(CODES.has(body.code), `unknown code: ${where}`)
    assert.equal(ERROR_STATUS[body.code as keyof typeof ERROR_STATUS], res.statusCode, where)
    assert.equal(typeof body.detail, 'string', where)
    assert.equal(body.stack, undefined, where)
  }
  assert.ok(!LEAKS.test(res.body), `leak: ${where}`)
  for (const s of secrets) assert.ok(!res.body.includes(s), `secret in the answer: ${where}`)
}

test('hostile input at every public endpoint: no 5xx, a stable code, no leak, nothing written', async (t) => {
  const ta = await buildTestApp(t, {
    env: {
      // Let the requests reach the deep code paths instead of stopping at the per-IP limits.
      OTP_IP_LIMIT_PER_MINUTE: '1000000',
      VERIFY_IP_LIMIT_PER_MINUTE: '1000000',
      REFRESH_IP_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'silent',
      WEBHOOK_TOKEN,
    },
  })
  // A signed-in user, so that the authenticated endpoints are reached with a valid token too.
  await post(ta.app, '/api/v1/auth/send-otp', { phone: USER })
  const session = (
    await post(ta.app, '/api/v1/auth/verify-otp', { phone: USER, code: ta.sms.codeFor(USER) })
  ).json()
  const before = await snapshot(ta)
  const secrets = [SECRET, session.refresh_token, WEBHOOK_TOKEN]

  const token: string = session.access_token
  const auth = fc.oneof(
    fc.constant(`Bearer ${token}`),
    // The real token with one character changed: header, payload or signature.
    fc
      .tuple(
        fc.nat(token.length - 1),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      )
      .filter(([i, c]) => token[i] !== '.' && token[i] !== c)
      .map(([i, c]) => `Bearer ${token.slice(0, i)}${c}${token.slice(i + 1)}`),
    headerValue,
    headerValue.map((s) => `Bearer ${s}`),
    fc
      .tuple(fc.base64String(), fc.base64String(), fc.base64String())
      .map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'bearer null',
      'Basic YWRtaW46YWRtaW4=',
      'Bearer e30.e30.',
      'Bearer eyJhbGciOiJub25lIn0.e30.',
    ),
  )
  const endpoints: [string, fc.Arbitrary<Req>][] = [
    ['send-otp', bodyRequest('/api/v1/auth/send-otp', ['phone', 'language', 'captcha_token'])],
    ['verify-otp', bodyRequest('/api/v1/auth/verify-otp', ['phone', 'code'])],
    ['refresh', bodyRequest('/api/v1/auth/refresh', ['refresh_token'])],
    ['logout', bodyRequest('/api/v1/auth/logout', ['refresh_token'])],
    [
      'GET /users/me',
      auth.map((a) => ({ method: 'GET' as const, url: '/api/v1/users/me', headers: { authorization: a } })),
    ],
    [
      'PATCH /users/me',
      fc
        .tuple(bodyRequest('/api/v1/users/me', ['full_name'], 'PATCH'), auth)
        .map(([r, a]) => ({ ...r, headers: { ...r.headers, authorization: a } })),
    ],
    [
      // Receipts for messages that do not exist, with the right token, a wrong one or none.
      'delivery-receipt webhooks',
      fc
        .tuple(
          fc.constantFrom('twilio', 'eskiz', 'playmobile'),
          fc.oneof(fc.constant(WEBHOOK_TOKEN), headerValue),
          fc.oneof(
            hostileObject(['status', 'id', 'message_id', 'MessageSid', 'MessageStatus']),
            notJson,
            fc
              .dictionary(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 40 }))
              .map((d) => new URLSearchParams(d).toString()),
          ),
          fc.oneof(
            { weight: 2, arbitrary: fc.constant('application/json') },
            { weight: 2, arbitrary: fc.constant('application/x-www-form-urlencoded') },
            { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
          ),
        )
        .map(([gateway, token, payload, contentType]) => ({
          method: 'POST' as const,
          url: `/api/v1/webhooks/${gateway}/status?token=${encodeURIComponent(token)}`,
          payload,
          headers: {
            ...(contentType ? { 'content-type': contentType } : {}),
            'x-twilio-signature': 'forged',
          },
        })),
    ],
    [
      'health, ready, docs and unknown routes',
      fc
        .tuple(
          fc.constantFrom(
            '/health',
            '/ready',
            '/openapi.json',
            '/api/v1/auth/send-otp',
            '/api/v1/nothing',
            '/',
          ),
          fc.string({ unit: 'binary', maxLength: 50 }),
          fc.constantFrom<Req['method']>('GET', 'POST', 'DELETE', 'PUT'),
        )
        .map(([path, q, method]) => ({
          method,
          url: `${path}?${encodeURIComponent(q)}=${encodeURIComponent(q)}`,
          headers: {},
        })),
    ],
  ]
  for (const [name, arbitrary] of endpoints) {
    await t.test(name, async (st) => {
      const seen = new Map<string, number>()
      await fc.assert(
        fc.asyncProperty(arbitrary, (req) => check(ta.app, req, secrets, seen)),
        { numRuns: RUNS },
      )
      st.diagnostic([...seen].map(([k, n]) => `${k}: ${n}`).join(', '))
    })
  }
  assert.deepEqual(await snapshot(ta), before, 'nothing was written to the database, nothing was sent')
  assert.equal(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype is not polluted')
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
})
