import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { AppError, ERROR_STATUS } from '../../src/errors.js'
import { messages } from '../../src/i18n/index.js'
import { buildTestApp, SECRET } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'

test('the error catalogue, the three languages and docs/ERRORS.md agree', () => {
  const doc = readFileSync('docs/ERRORS.md', 'utf8')
  const documented = new Map(
    [...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1] as string, Number(m[2])]),
  )
  assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_STATUS).sort())
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    assert.equal(documented.get(code), status, code)
    for (const lang of ['uz', 'ru', 'en'] as const) {
      const text = messages[lang].errors[code as keyof typeof ERROR_STATUS]({
        details: 'x',
        seconds: 1,
        attempts_left: 1,
        country: 'RU',
      })
      assert.ok(text.length > 0, `${lang} ${code}`)
    }
  }
  assert.equal(new Set(Object.keys(ERROR_STATUS)).size, Object.keys(ERROR_STATUS).length)
})

test('client mistakes are 4xx with a code, never a 500 or a stack trace', async (t) => {
  const ta = await buildTestApp(t)
  const cases: {
    name: string
    payload: string
    headers?: Record<string, string>
    status: number
    code: string
  }[] = [
    { name: 'malformed JSON', payload: '{"phone": ', status: 400, code: 'INVALID_JSON' },
    { name: 'empty JSON body', payload: '', status: 400, code: 'INVALID_JSON' },
    {
      name: 'unknown field',
      payload: '{"phone":"+998901234567","admin":true}',
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    { name: 'wrong type', payload: '{"phone":998901234567}', status: 422, code: 'VALIDATION_ERROR' },
    { name: 'missing field', payload: '{}', status: 422, code: 'VALIDATION_ERROR' },
    { name: 'array body', payload: '[1,2]', status: 422, code: 'VALIDATION_ERROR' },
    {
      name: 'bad language',
      payload: '{"phone":"+998901234567","language":"fr"}',
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'oversized body',
      payload: JSON.stringify({ phone: 'x'.repeat(20_000) }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'form body',
      payload: 'phone=%2B998901234567',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'text body',
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'prototype pollution',
      payload: '{"phone":"+998901234567","__proto__":{"x":1}}',
      status: 400,
      code: 'INVALID_JSON',
    },
  ]
  for (const c of cases) {
    const res = await ta.app.inject({
      method: 'POST',
      url: SEND,
      payload: c.payload,
      headers: { 'content-type': 'application/json', ...c.headers },
    })
    assert.equal(res.statusCode, c.status, `${c.name}: ${res.body}`)
    const body = res.json()
    assert.equal(body.code, c.code, c.name)
    assert.equal(typeof body.detail, 'string', c.name)
    assert.ok(!/at .*\.(ts|js):\d+/.test(res.body), `${c.name}: no stack trace`)
  }
  const unknownField = await ta.app.inject({
    method: 'POST',
    url: SEND,
    payload: { phone: '+998901234567', admin: true },
  })
  assert.deepEqual(unknownField.json().errors, [{ field: 'admin', message: 'unknown field' }])
  assert.equal(ta.sms.sent.length, 0)
})

test('a 4xx AppError captures no stack (it is never logged); a 5xx keeps one; the limit is restored', () => {
  const before = Error.stackTraceLimit
  const client = new AppError('OTP_INVALID', { attempts_left: 2 }, { attempts_left: 2 })
  assert.equal(Error.stackTraceLimit, before)
  // With no frames the stack is only the header line.
  assert.equal(client.stack, 'AppError: OTP_INVALID')
  assert.deepEqual(
    [client.code, client.statusCode, client.params, client.extra],
    ['OTP_INVALID', 400, { attempts_left: 2 }, { attempts_left: 2 }],
  )
  const cause = new Error('connection refused')
  const fault = new AppError('SERVICE_UNAVAILABLE', {}, {}, 5, cause)
  assert.equal(Error.stackTraceLimit, before)
  assert.match(fault.stack ?? '', /\n\s+at /)
  assert.deepEqual([fault.statusCode, fault.retryAfter, fault.cause], [503, 5, cause])
})

test('unknown routes answer 404 NOT_FOUND in the request language', async (t) => {
  const ta = await buildTestApp(t)
  const res = await ta.app.inject({
    method: 'GET',
    url: '/api/v1/nope',
    headers: { 'accept-language': 'en' },
  })
  assert.equal(res.statusCode, 404)
  assert.deepEqual(res.json(), { detail: 'Not found.', code: 'NOT_FOUND' })
})

test('health, readiness and the OpenAPI document', async (t) => {
  const ta = await buildTestApp(t)
  assert.deepEqual((await ta.app.inject({ url: '/health' })).json(), { status: 'ok' })
  const ready = await ta.app.inject({ url: '/ready' })
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(ready.json(), { status: 'ready', checks: { database: 'ok', redis: 'disabled' } })

  const doc = (await ta.app.inject({ url: '/openapi.json' })).json()
  assert.equal(doc.openapi, '3.1.0')
  for (const path of [
    '/api/v1/auth/send-otp',
    '/api/v1/auth/verify-otp',
    '/api/v1/auth/refresh',
    '/api/v1/auth/logout',
    '/api/v1/users/me',
    '/health',
    '/ready',
  ])
    assert.ok(doc.paths[path], path)
  assert.deepEqual(
    doc.paths['/api/v1/auth/send-otp'].post.requestBody.content['application/json'].schema.required,
    ['phone'],
  )
  const ui = await ta.app.inject({ url: '/docs/' })
  assert.equal(ui.statusCode, 200)
  assert.match(ui.body, /swagger/i)
})

test('/ready answers 503 when the database is gone', async (t) => {
  const ta = await buildTestApp(t)
  const handle = ta.app.storage.db
  if (handle.kind === 'sqlite') handle.sqlite.db.close()
  const res = await ta.app.inject({ url: '/ready' })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().code, 'NOT_READY')
  assert.equal(res.json().checks.database, 'unavailable')
})

test('the secret key never appears in a response or a log line', async (t) => {
  const ta = await buildTestApp(t)
  await ta.app.inject({ method: 'POST', url: SEND, payload: { phone: '+998901234567' } })
  await ta.app.inject({
    method: 'POST',
    url: SEND,
    payload: '{bad',
    headers: { 'content-type': 'application/json' },
  })
  assert.ok(!ta.logs.text().includes(SECRET))
})
