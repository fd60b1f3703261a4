import assert from 'node:assert/strict'
import { test } from 'node:test'
import { timeOrderedId } from '../../src/crypto.js'
import type { App } from '../../src/db/schema.js'
import { ADMIN_ENV, auth as admin, tashkent, tashkentReports } from '../admin/seed.js'
import { BACKENDS, buildTestApp, FakeSms, LIVE_SMS, post, signIn } from '../helpers.js'
import { SoftAuthenticator } from './authenticator.js'
import { auth, ORIGIN, registered, signInOptions } from './flow.js'

// The cost view counts what passkeys saved: each sign-in is kept with the price of the code SMS its
// number's route would have sent, and the Billing report sums them per local day beside the costs.

for (const backend of BACKENDS)
  test(`[${backend.name}] billing: passkey sign-ins per Tashkent day and the SMS cost they saved`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
    const row = (app: App, at: number, usd: number | null) =>
      ta.app.stores.passkeys.recordSignIn({
        id: timeOrderedId(at),
        app,
        country: usd === null ? 'KZ' : 'UZ',
        provider: usd === null ? null : 'eskiz',
        saved: usd === null ? null : { amount: 90, currency: 'UZS', usd },
        at,
      })
    await row('passenger', tashkent('2025-12-31', '23:30'), 0.0071)
    await row('driver', tashkent('2026-01-01', '00:30'), 0.0071)
    await row('passenger', tashkent('2026-01-01', '09:00'), 0.0071)
    await row('passenger', tashkent('2026-01-02', '09:00'), null)
    await row('passenger', tashkent('2026-01-03', '09:00'), 0.0071) // after the range
    const service = tashkentReports(ta.app)
    const b = await service.billing('2025-12-31', '2026-01-02', tashkent('2026-01-03'))
    assert.deepEqual(b.passkeys, {
      sign_ins: 4,
      saved: 0.0213,
      unpriced: 1,
      sign_ins_by_day: [1, 2, 1],
      saved_by_day: [0.0071, 0.0142, 0],
    })
  })

test('billing over HTTP: a passkey sign-in through a priced route shows as saved; Twilio’s price abroad', async (t) => {
  const [eskiz, twilio] = [new FakeSms('eskiz'), new FakeSms('twilio')]
  const ta = await buildTestApp(t, {
    env: {
      ...ADMIN_ENV,
      ...LIVE_SMS,
      ESKIZ_ENABLED: 'true',
      ESKIZ_EMAIL: 'ops@royaltaxi.uz',
      ESKIZ_PASSWORD: 'pw-secret-1',
      SMS_ROUTES: 'UZ=eskiz,twilio;*=twilio',
      ALLOWED_COUNTRIES: '*',
    },
    providers: [eskiz, twilio],
  })
  ta.sms = eskiz
  const uz = await registered(ta)
  ta.sms = twilio
  const ru = await registered(ta, '+79161234567', new SoftAuthenticator({ origin: ORIGIN }))
  for (const { authenticator } of [uz, ru]) {
    const res = await post(ta.app, '/api/v1/auth/passkey/verify', {
      credential: authenticator.get(await signInOptions(ta.app)),
    })
    assert.equal(res.statusCode, 200, res.body)
  }
  const rows = await ta.app.storage.db.db
    .selectFrom('passkey_sign_ins')
    .select(['country', 'provider', 'saved', 'currency', 'saved_usd'])
    .orderBy('country')
    .execute()
  assert.deepEqual(rows, [
    { country: 'RU', provider: 'twilio', saved: 0.0117, currency: 'USD', saved_usd: 0.0117 },
    { country: 'UZ', provider: 'eskiz', saved: 90, currency: 'UZS', saved_usd: rows[1]?.saved_usd },
  ])
  assert.ok((rows[1]?.saved_usd ?? 0) > 0.006 && (rows[1]?.saved_usd ?? 1) < 0.008, '90 so’m in dollars')
  const res = await ta.app.inject({ url: '/api/v1/admin/billing', headers: admin })
  assert.equal(res.statusCode, 200, res.body)
  const { passkeys } = res.json()
  assert.equal(passkeys.sign_ins, 2)
  assert.equal(passkeys.saved, Math.round((0.0117 + (rows[1]?.saved_usd ?? 0)) * 10_000) / 10_000)
  assert.equal(passkeys.unpriced, 0)
  ta.sms = eskiz
  // The list answers only the user's own passkeys.
  const other = await signIn(ta, '+998931112233')
  const list = await ta.app.inject({ url: '/api/v1/passkeys', headers: auth(other.access_token) })
  assert.deepEqual(list.json(), { passkeys: [] })
})
