import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../helpers.js'

const TOKEN = 'metrics-token-0123456789'

test('without METRICS_TOKEN /metrics answers loopback clients only, by the socket address', async (t) => {
  const ta = await buildTestApp(t, { env: { TRUST_PROXY: 'true' } })
  for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    const res = await ta.app.inject({ url: '/metrics', remoteAddress })
    assert.equal(res.statusCode, 200, remoteAddress)
    assert.match(res.body, /http_request_duration_seconds/)
  }
  const texts = {
    uz: 'Metrikalar faqat shu kompyuterga (127.0.0.1) beriladi: boshqa joydan olish uchun METRICS_TOKEN sozlamasini kiriting.',
    ru: 'Метрики отдаются только этой машине (127.0.0.1), пока не задан METRICS_TOKEN.',
    en: 'Metrics are served only to this machine (127.0.0.1) unless METRICS_TOKEN is set.',
  }
  for (const [lang, detail] of Object.entries(texts)) {
    const res = await ta.app.inject({
      url: '/metrics',
      remoteAddress: '10.0.0.5',
      headers: { 'accept-language': lang },
    })
    assert.equal(res.statusCode, 403)
    assert.deepEqual(res.json(), { detail, code: 'METRICS_FORBIDDEN' })
  }
  // Even with TRUST_PROXY=true, a forwarded "127.0.0.1" from another machine is not loopback.
  const spoofed = await ta.app.inject({
    url: '/metrics',
    remoteAddress: '10.0.0.5',
    headers: { 'x-forwarded-for': '127.0.0.1' },
  })
  assert.equal(spoofed.statusCode, 403)
  assert.equal(spoofed.json().code, 'METRICS_FORBIDDEN')
})

test('with METRICS_TOKEN any client with the token may read /metrics, none without it', async (t) => {
  const ta = await buildTestApp(t, { env: { METRICS_TOKEN: TOKEN } })
  const remote = await ta.app.inject({
    url: '/metrics',
    remoteAddress: '10.0.0.5',
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  assert.equal(remote.statusCode, 200)
  const local = await ta.app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' })
  assert.equal(local.statusCode, 401)
  assert.equal(local.json().code, 'METRICS_UNAUTHORIZED')
})
