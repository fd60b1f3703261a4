import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { BACKENDS, buildTestApp, pgUrl, post, postgresSchema, redisUrl } from '../helpers.js'
import { type FakeGateway, fakeGateway } from '../sms/gateway-fakes.js'
import { type FakeTelegram, fakeTelegram, telegramEnv } from '../sms/telegram-fake.js'

const PHONE = '+998901234567'
const SEND = '/api/v1/auth/send-otp'
const REPORTS = '/api/v1/webhooks/telegram/status'
const WAIT_MS = 30_000
/** Later than the wait: the sweep is run by hand at this time, so no test waits for the clock. */
const after = () => Date.now() + WAIT_MS + 1000

async function report(
  app: FastifyInstance,
  tg: FakeTelegram,
  requestId: string,
  status: string,
  options = {},
) {
  const { body, headers } = tg.report(requestId, status, options)
  return await app.inject({ method: 'POST', url: REPORTS, payload: body, headers })
}

/** `UZ=telegram(wait=30s),http`: Telegram first, the same code by SMS when its delivery is not reported. */
async function waiting(
  t: Parameters<typeof buildTestApp>[0],
  env: Record<string, string>,
  fakes?: { tg: FakeTelegram; http: FakeGateway },
) {
  const tg = fakes?.tg ?? (await fakeTelegram(t))
  const http = fakes?.http ?? (await fakeGateway(t, [{ status: 200, body: { id: 'gw-1' } }]))
  tg.onTelegram.add(PHONE)
  const settings = {
    ...telegramEnv(tg.url),
    HTTP_SMS_URL: `${http.url}/send`,
    HTTP_SMS_SECRET: 'http-gateway-secret-0123',
    SMS_ROUTES: `UZ=telegram(wait=${WAIT_MS / 1000}s),http;*=http`,
    OTP_RESEND_SECONDS: '0',
    ...env,
  }
  const ta = await buildTestApp(t, { configuredProviders: true, env: settings })
  const db = ta.app.storage.db.db
  const rows = () => db.selectFrom('sms_log').selectAll().orderBy('created_at').orderBy('attempt').execute()
  const wait = () => db.selectFrom('sms_deliveries').selectAll().executeTakeFirst()
  const smsCode = () => (http.received.at(-1)?.json as { text: string } | undefined)?.text.match(/\d{6}/)?.[0]
  const telegramCode = () => String(tg.calls.at(-1)?.params.code)
  return { ta, tg, http, rows, wait, smsCode, telegramCode, settings }
}

for (const backend of BACKENDS) {
  const opts = { skip: backend.skip }

  test(
    `[${backend.name}] no delivery report in time: the same code goes by SMS, once; attempts are shared`,
    opts,
    async (t) => {
      const g = await waiting(t, await backend.env(t))
      const res = await post(g.ta.app, SEND, { phone: PHONE })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.json().channel, 'telegram')
      const code = g.telegramCode()
      const armed = await g.wait()
      assert.equal(armed?.state, 'waiting')
      assert.ok(armed?.sealed && !armed.sealed.includes(code), 'the code is kept sealed, not in clear')
      // Before the wait is over nothing happens.
      assert.equal(await g.ta.app.deliveryFallback.runOnce(Date.now() + 1000), 0)
      // A wrong guess now counts against the same code after the fallback.
      await assert.rejects(
        g.ta.app.otp.verify(PHONE, code === '000000' ? '111111' : '000000', '127.0.0.1', async () => 0),
        /OTP_INVALID/,
      )
      const at = after()
      const claimed = await Promise.all([
        g.ta.app.deliveryFallback.runOnce(at),
        g.ta.app.deliveryFallback.runOnce(at),
      ])
      assert.deepEqual(claimed.sort(), [0, 1], 'two sweeps at once: one fallback')
      assert.equal(g.http.received.length, 1)
      assert.equal(g.smsCode(), code)
      const rows = await g.rows()
      assert.deepEqual(
        rows.map((r) => [r.attempt, r.provider, r.channel, r.status, r.fallback]),
        [
          [1, 'telegram', 'telegram', 'sent', null],
          [2, 'http', 'sms', 'queued', 'delivery'],
        ],
      )
      assert.equal(rows[0]?.request_id, rows[1]?.request_id)
      const done = await g.wait()
      assert.deepEqual([done?.state, done?.sealed], ['fell_back', null])
      assert.equal(await g.ta.app.deliveryFallback.runOnce(after()), 0)
      // A late `delivered` is recorded on the Telegram attempt and changes nothing else.
      const late = await report(g.ta.app, g.tg, 'tg-1', 'delivered')
      assert.equal(late.statusCode, 200)
      assert.equal((await g.rows())[0]?.status, 'delivered')
      assert.equal((await g.wait())?.state, 'fell_back')
      assert.equal(g.http.received.length, 1)
      const left = await g.ta.app.otp.verify(PHONE, code, '127.0.0.1', async () => 'in')
      assert.equal(left, 'in')
    },
  )

  test(
    `[${backend.name}] the fallback SMS counts against the daily caps, and is not sent when they are full`,
    opts,
    async (t) => {
      // SMS_DAILY_LIMIT=1: the Telegram message takes the day's one message; its fallback is refused.
      const full = await waiting(t, { ...(await backend.env(t)), SMS_DAILY_LIMIT: '1' })
      assert.equal((await post(full.ta.app, SEND, { phone: PHONE })).statusCode, 200)
      assert.equal(await full.ta.app.deliveryFallback.runOnce(after()), 1)
      assert.equal(full.http.received.length, 0, 'no SMS beyond the cap')
      assert.equal((await full.wait())?.state, 'failed')
      assert.match(full.ta.logs.text(), /SMS spending cap reached \(SMS_DAILY_LIMIT=1\)/)
      assert.deepEqual(
        (await full.rows()).map((r) => r.provider),
        ['telegram'],
      )
    },
  )

  test(
    `[${backend.name}] under the caps the fallback goes out and takes its place in them`,
    opts,
    async (t) => {
      // SMS_DAILY_LIMIT=2: the code by Telegram, then its fallback; a third message today is refused.
      const g = await waiting(t, { ...(await backend.env(t)), SMS_DAILY_LIMIT: '2' })
      assert.equal((await post(g.ta.app, SEND, { phone: PHONE })).statusCode, 200)
      assert.equal(await g.ta.app.deliveryFallback.runOnce(after()), 1)
      assert.equal(g.http.received.length, 1)
      const third = await post(g.ta.app, SEND, { phone: '+998901234568' })
      assert.equal(third.statusCode, 503, third.body)
      assert.equal(third.json().code, 'SMS_BUDGET_EXCEEDED')
    },
  )

  test(
    `[${backend.name}] a delivered report in time ends the wait: no SMS, the seal erased`,
    opts,
    async (t) => {
      const g = await waiting(t, await backend.env(t))
      await post(g.ta.app, SEND, { phone: PHONE })
      const res = await report(g.ta.app, g.tg, 'tg-1', 'delivered')
      assert.equal(res.statusCode, 200, res.body)
      assert.deepEqual(res.json(), { ok: true })
      const wait = await g.wait()
      assert.deepEqual([wait?.state, wait?.sealed], ['delivered', null])
      assert.equal(await g.ta.app.deliveryFallback.runOnce(after()), 0)
      assert.equal(g.http.received.length, 0)
      // Twice, and out of order: nothing moves backwards, one receipt row per status.
      await report(g.ta.app, g.tg, 'tg-1', 'delivered')
      await report(g.ta.app, g.tg, 'tg-1', 'sent')
      await report(g.ta.app, g.tg, 'tg-1', 'read')
      const [row] = await g.rows()
      assert.equal(row?.status, 'delivered')
      assert.equal(row?.cost_usd, 0.01)
      const receipts = await g.ta.app.storage.db.db
        .selectFrom('sms_receipts')
        .select('raw_status')
        .orderBy('id')
        .execute()
      assert.deepEqual(
        receipts.map((r) => r.raw_status),
        ['delivered', 'sent', 'read'],
      )
    },
  )

  test(
    `[${backend.name}] an expired report falls back at once and refunds the Telegram attempt`,
    opts,
    async (t) => {
      const g = await waiting(t, await backend.env(t))
      await post(g.ta.app, SEND, { phone: PHONE })
      const code = g.telegramCode()
      assert.equal((await report(g.ta.app, g.tg, 'tg-1', 'expired')).statusCode, 200)
      assert.equal(await g.ta.app.deliveryFallback.runOnce(Date.now() + 10), 1)
      assert.equal(g.smsCode(), code)
      // A late `sent` restates the fee but cannot move the row back or undo the refund.
      await report(g.ta.app, g.tg, 'tg-1', 'sent')
      const [tgRow, smsRow] = await g.rows()
      assert.deepEqual([tgRow?.status, tgRow?.cost_usd], ['undelivered', 0])
      assert.equal(smsRow?.fallback, 'delivery')
    },
  )

  test(
    `[${backend.name}] a code verified (or replaced) before the wait is over is not sent again`,
    opts,
    async (t) => {
      const g = await waiting(t, await backend.env(t))
      await post(g.ta.app, SEND, { phone: PHONE })
      await g.ta.app.otp.verify(PHONE, g.telegramCode(), '127.0.0.1', async () => 0)
      assert.equal(await g.ta.app.deliveryFallback.runOnce(after()), 1)
      assert.equal(g.http.received.length, 0)
      const wait = await g.wait()
      assert.deepEqual([wait?.state, wait?.sealed], ['expired', null])
    },
  )

  test(`[${backend.name}] forged, stale, unsigned and unknown reports`, opts, async (t) => {
    const g = await waiting(t, await backend.env(t))
    await post(g.ta.app, SEND, { phone: PHONE })
    const before = await g.rows()
    for (const options of [{ token: 'not-the-token' }, { timestamp: Math.floor(Date.now() / 1000) - 600 }]) {
      const res = await report(g.ta.app, g.tg, 'tg-1', 'delivered', options)
      assert.equal(res.statusCode, 403, res.body)
      assert.equal(res.json().code, 'WEBHOOK_FORBIDDEN')
    }
    const { body, headers } = g.tg.report('tg-1', 'delivered')
    const tampered = await g.ta.app.inject({
      method: 'POST',
      url: REPORTS,
      payload: body.replace('delivered', 'expired'),
      headers,
    })
    assert.equal(tampered.statusCode, 403)
    const unsigned = await g.ta.app.inject({
      method: 'POST',
      url: REPORTS,
      payload: body,
      headers: { 'content-type': 'application/json' },
    })
    assert.equal(unsigned.statusCode, 403)
    assert.deepEqual(await g.rows(), before)
    assert.equal((await g.wait())?.state, 'waiting')
    // The key as the digest's hex text (the documentation's other reading) is accepted too.
    assert.equal((await report(g.ta.app, g.tg, 'tg-1', 'sent', { hexKey: true })).statusCode, 200)
    // A report for a message we never sent: acknowledged, nothing recorded.
    g.tg.requests.set('tg-999', {
      request_id: 'tg-999',
      phone_number: PHONE,
      request_cost: 0.01,
      payload: 'nope',
    })
    const unknown = await report(g.ta.app, g.tg, 'tg-999', 'delivered')
    assert.equal(unknown.statusCode, 200)
    assert.equal((await g.rows()).length, 1)
  })

  test(
    `[${backend.name}] the wait stands before Telegram answers: if this instance dies meanwhile, the code still goes by SMS`,
    opts,
    async (t) => {
      const g = await waiting(t, { ...(await backend.env(t)), SMS_TIMEOUT_MS: '2000' })
      g.tg.delayMs = 300
      const start = Date.now()
      const sending = post(g.ta.app, SEND, { phone: PHONE })
      while (g.tg.calls.length === 0) await sleep(5)
      // Telegram has the code and has not answered: a crash now must not lose the fallback.
      const code = g.telegramCode()
      const armed = await g.wait()
      assert.equal(armed?.state, 'waiting')
      assert.ok(armed?.sealed && !armed.sealed.includes(code), 'the code is kept sealed, not in clear')
      // Due after the attempt's deadline and the wait: an attempt still in flight is never overtaken.
      assert.ok(Number(armed?.due_at) >= start + 2000 + WAIT_MS, String(armed?.due_at))
      // Another instance's sweep (this one is taken for dead) sends the same code on the next step.
      assert.equal(await g.ta.app.deliveryFallback.runOnce(Number(armed?.due_at) + 1), 1)
      assert.equal(g.smsCode(), code)
      // The late answer is recorded; it does not re-arm a wait the sweep has settled.
      assert.equal((await sending).statusCode, 200)
      assert.deepEqual(
        (await g.rows()).map((r) => [r.provider, r.status, r.fallback]),
        [
          ['telegram', 'sent', null],
          ['http', 'queued', 'delivery'],
        ],
      )
      assert.deepEqual([(await g.wait())?.state, (await g.wait())?.sealed], ['fell_back', null])
      assert.equal(await g.ta.app.deliveryFallback.runOnce(after() + 60_000), 0)
      assert.equal(g.http.received.length, 1)
    },
  )

  test(
    `[${backend.name}] a number Telegram cannot reach goes by SMS at once, and leaves no wait behind`,
    opts,
    async (t) => {
      const g = await waiting(t, await backend.env(t))
      const res = await post(g.ta.app, SEND, { phone: '+998901234568' })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.json().channel, 'sms')
      assert.equal(await g.wait(), undefined)
      assert.equal(await g.ta.app.deliveryFallback.runOnce(after() + 60_000), 0)
      assert.equal(g.http.received.length, 1)
    },
  )

  test(
    `[${backend.name}] a restart keeps the wait: the next instance falls back with the same code`,
    opts,
    async (t) => {
      const env = await backend.env(t)
      const tg = await fakeTelegram(t)
      const http = await fakeGateway(t, [{ status: 200, body: { id: 'gw-1' } }])
      const first = await waiting(t, env, { tg, http })
      await post(first.ta.app, SEND, { phone: PHONE })
      const code = first.telegramCode()
      await first.ta.app.close()
      const second = await buildTestApp(t, {
        configuredProviders: true,
        dir: first.ta.dir,
        env: first.settings,
      })
      assert.equal(await second.app.deliveryFallback.runOnce(after()), 1)
      assert.equal((http.received[0]?.json as { text: string } | undefined)?.text.match(/\d{6}/)?.[0], code)
    },
  )
}

test('two instances on one PostgreSQL (and Redis) sweeping at once: exactly one fallback', {
  skip: pgUrl ? false : 'DATABASE_URL does not point at PostgreSQL',
}, async (t) => {
  const env: Record<string, string> = { DATABASE_URL: await postgresSchema(t) }
  if (redisUrl) Object.assign(env, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `test:${Date.now()}:` })
  const a = await waiting(t, env)
  const b = await buildTestApp(t, { configuredProviders: true, env: a.settings })
  await post(a.ta.app, SEND, { phone: PHONE })
  const at = after()
  const claimed = await Promise.all([
    a.ta.app.deliveryFallback.runOnce(at),
    b.app.deliveryFallback.runOnce(at),
    a.ta.app.deliveryFallback.runOnce(at),
    b.app.deliveryFallback.runOnce(at),
  ])
  assert.equal(
    claimed.reduce((x, y) => x + y, 0),
    1,
  )
  assert.equal(a.http.received.length, 1)
  assert.equal(a.smsCode(), a.telegramCode())
})

test('/metrics and the admin usage report break delivery and cost down by channel, with the fallback rate', async (t) => {
  const g = await waiting(t, {
    ADMIN_TOKEN: 'admin-token-for-tests-0123456789abcdef',
    ADMIN_TIMEZONE: 'Asia/Tashkent',
  })
  // One code delivered in Telegram, one that went again by SMS after its report said expired (refunded).
  await post(g.ta.app, SEND, { phone: PHONE })
  await report(g.ta.app, g.tg, 'tg-1', 'delivered')
  await post(g.ta.app, SEND, { phone: PHONE })
  await report(g.ta.app, g.tg, 'tg-2', 'expired')
  assert.equal(await g.ta.app.deliveryFallback.runOnce(Date.now() + 10), 1)
  const metrics = (await g.ta.app.inject({ method: 'GET', url: '/metrics' })).body
  for (const line of [
    'sms_channel_attempts_24h{channel="telegram"} 2',
    'sms_channel_attempts_24h{channel="sms"} 1',
    'sms_channel_delivery_ratio_24h{channel="telegram"} 0.5',
    'sms_channel_cost_usd_24h{channel="telegram"} 0.01',
    'sms_delivery_fallback_ratio_24h 0.5',
  ])
    assert.ok(metrics.includes(line), `${line} missing from /metrics`)
  const usage = await g.ta.app.inject({
    method: 'GET',
    url: '/api/v1/admin/usage',
    headers: { authorization: 'Bearer admin-token-for-tests-0123456789abcdef' },
  })
  assert.equal(usage.statusCode, 200, usage.body)
  assert.deepEqual(usage.json().by_channel, {
    channels: {
      sms: { attempts: 1, accepted: 1, delivered: 0, delivery_rate: 0, cost_usd: 0 },
      telegram: { attempts: 2, accepted: 2, delivered: 1, delivery_rate: 0.5, cost_usd: 0.01 },
    },
    codes: 2,
    delivery_fallbacks: 1,
    fallback_rate: 0.5,
  })
})
