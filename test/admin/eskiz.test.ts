import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EskizProvider } from '../../src/channels/eskiz/provider.js'
import { BACKENDS, buildTestApp, FakeSms, post } from '../helpers.js'
import { type Answer, fakeGateway, type Received } from '../sms/gateway-fakes.js'
import { ADMIN_ENV, auth, seedMessages } from './seed.js'

// GET /api/v1/admin/billing/eskiz on every engine: the spending rate is read from the SMS log (Eskiz's
// so'm only: other gateways and other currencies do not draw on its balance); the texts are the ones
// send-otp sends.

const eskiz = (req: Received): Answer => {
  if (req.url === '/api/auth/login') return { status: 200, body: { data: { token: 'tok-1' } } }
  if (req.url === '/api/user/templates') return { status: 200, body: { success: true, result: [] } }
  if (req.url === '/api/message/sms/normalizer')
    return { status: 200, body: { special_characters: [], recommendations: [] } }
  if (req.url === '/api/report/total-by-smsc') return { status: 200, body: { data: [] } }
  return { status: 200, body: { data: { balance: 100_000 }, status: 'success' } }
}

for (const backend of BACKENDS) {
  test(`[${backend.name}] the Eskiz report: the week's rate from the SMS log, the texts send-otp sends`, {
    skip: backend.skip,
  }, async (t) => {
    const gateway = await fakeGateway(t, [eskiz])
    const provider = new EskizProvider(
      { email: 'ops@royaltaxi.uz', password: 'p', from: '4546', baseUrl: gateway.url, callbackUrl: null },
      5000,
    )
    const ta = await buildTestApp(t, {
      env: { ...(await backend.env(t)), ...ADMIN_ENV, WEBOTP_DOMAIN: 'royaltaxi.uz' },
      providers: [provider, new FakeSms('twilio')],
    })
    const now = Date.now()
    const at = (hoursAgo: number) => now - hoursAgo * 3_600_000
    await seedMessages(ta.app, [
      // In the week: 7 × 90 so'm through Eskiz; a failed attempt costs nothing.
      ...Array.from({ length: 7 }, (_, i) => ({
        phone: `+99890100000${i}`,
        at: at(i * 20 + 1),
        attempts: [['eskiz', 'sent']] as [string, 'sent'][],
      })),
      { phone: '+998901000010', at: at(3), attempts: [['eskiz', 'failed']] },
      // Twilio's dollars and Eskiz's sends older than a week are not Eskiz's rate.
      { phone: '+998901000011', at: at(5), attempts: [['twilio', 'sent']] },
      { phone: '+998901000012', at: at(8 * 24), attempts: [['eskiz', 'sent']] },
    ])
    const res = await ta.app.inject({ method: 'GET', url: '/api/v1/admin/billing/eskiz', headers: auth })
    assert.equal(res.statusCode, 200)
    const r = res.json()
    assert.deepEqual([r.per_day, r.balance, r.days_left, r.low_balance], [90, 100_000, 1111.1, false])
    assert.deepEqual(
      r.texts.map((x: { label: string }) => x.label),
      ['uz', 'uz web/ios', 'ru', 'ru web/ios', 'en', 'en web/ios'],
    )

    // The web text checked is the one a web client is sent, code aside.
    assert.equal(
      (await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901234567', client: 'web' })).statusCode,
      200,
    )
    const sent = gateway.received
      .find((x) => x.url === '/api/message/sms/send')
      ?.form?.message?.replaceAll('\r\n', '\n')
    const code = sent?.match(/\d{6}/)?.[0] as string
    assert.equal(sent, (r.texts[1].text as string).replaceAll('123456', code))
  })
}

test('without Eskiz the report says so and asks nothing', async (t) => {
  const ta = await buildTestApp(t, { env: ADMIN_ENV, providers: [new FakeSms('twilio')] })
  const res = await ta.app.inject({ method: 'GET', url: '/api/v1/admin/billing/eskiz', headers: auth })
  assert.deepEqual(res.json(), {
    enabled: false,
    texts: [],
    operators: [],
    balance: null,
    per_day: 0,
    days_left: null,
    low_balance: false,
    errors: [],
  })
})
