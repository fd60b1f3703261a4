import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EskizProvider } from '../../src/channels/eskiz/provider.js'
import { SmsError } from '../../src/channels/provider.js'
import { startPrismOn } from '../prism.js'
import { ESKIZ_SPEC, eskizSkipReason, fakeGateway, type Received } from './gateway-fakes.js'
import { ACCOUNT_SID, AUTH_TOKEN, twilioProvider } from './twilio-fakes.js'

// Provider balances, for the admin console's Billing tab.

const eskiz = (baseUrl: string) =>
  new EskizProvider(
    { email: 'ops@royaltaxi.uz', password: 'eskiz-secret-pass', from: '4546', baseUrl, callbackUrl: null },
    2000,
  )
const signal = () => AbortSignal.timeout(2000)

test('Eskiz balance against the contract (Prism): log in, GET /api/user/get-limit', {
  skip: eskizSkipReason(),
}, async (t) => {
  const prism = await startPrismOn(t, ESKIZ_SPEC)
  assert.deepEqual(await eskiz(prism).balance(signal()), { amount: 0, currency: 'UZS' })
})

test('Eskiz balance: bearer token, a 401 renews the token once, a refusal is an SmsError', async (t) => {
  let tokens = 0
  let limits = 0
  const fake = await fakeGateway(t, [
    (req: Received) => {
      if (req.url === '/api/auth/login') return { status: 200, body: { data: { token: `tok${++tokens}` } } }
      limits++
      if (limits === 1) return { status: 401, body: { message: 'Expired' } }
      if (limits === 2) return { status: 200, body: { data: { balance: 125400.5 }, status: 'success' } }
      return { status: 500, body: { message: 'Server error' } }
    },
  ])
  const provider = eskiz(fake.url)
  assert.deepEqual(await provider.balance(signal()), { amount: 125400.5, currency: 'UZS' })
  const calls = fake.received.map((r) => `${r.method} ${r.url} ${r.headers.authorization ?? ''}`.trim())
  assert.deepEqual(calls, [
    'POST /api/auth/login',
    'GET /api/user/get-limit Bearer tok1',
    'POST /api/auth/login',
    'GET /api/user/get-limit Bearer tok2',
  ])
  await assert.rejects(provider.balance(signal()), (err: SmsError) => {
    assert.ok(err instanceof SmsError)
    assert.equal(err.kind, 'unavailable')
    assert.equal(err.message, 'Server error')
    return true
  })
})

test('Twilio balance: GET Balance.json with Basic auth; a 401 says the credentials are wrong', async (t) => {
  const fake = await fakeGateway(t, [
    { status: 200, body: { account_sid: ACCOUNT_SID, balance: '18.42', currency: 'USD' } },
    { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } },
  ])
  const provider = twilioProvider(fake.url)
  assert.deepEqual(await provider.balance(signal()), { amount: 18.42, currency: 'USD' })
  const first = fake.received[0]
  assert.equal(`${first?.method} ${first?.url}`, `GET /2010-04-01/Accounts/${ACCOUNT_SID}/Balance.json`)
  assert.equal(
    first?.headers.authorization,
    `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
  )
  await assert.rejects(provider.balance(signal()), (err: SmsError) => {
    assert.equal(err.kind, 'auth_failed')
    assert.equal(err.message, 'Unable to fetch record: Authenticate')
    return true
  })
})
