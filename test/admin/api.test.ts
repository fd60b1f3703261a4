import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SmsError } from '../../src/channels/provider.js'
import { loadConfig } from '../../src/config.js'
import { BACKENDS, buildTestApp, FakeSms, post } from '../helpers.js'
import { ADMIN_ENV, ADMIN_TOKEN, auth, seedEvents, seedMessages, tashkent, tashkentReports } from './seed.js'

const get = (
  ta: { app: import('fastify').FastifyInstance },
  url: string,
  headers: Record<string, string> = auth,
) => ta.app.inject({ method: 'GET', url, headers })

test('ADMIN_TOKEN must be 32 characters or more, and is never echoed', () => {
  assert.throws(
    () => loadConfig({ ADMIN_TOKEN: 'short-secret' }),
    (err: Error) =>
      /ADMIN_TOKEN: expected a random string of 32/.test(err.message) &&
      !err.message.includes('short-secret'),
  )
  assert.throws(
    () => loadConfig({ ADMIN_TOKEN: ADMIN_TOKEN, ADMIN_TIMEZONE: 'Mars/Olympus' }),
    /ADMIN_TIMEZONE/,
  )
})

test('without ADMIN_TOKEN the console and its API answer 404 ADMIN_DISABLED', async (t) => {
  const ta = await buildTestApp(t)
  for (const url of ['/api/v1/admin/logs', '/api/v1/admin/usage', '/admin', '/admin/', '/admin/app.js']) {
    const res = await get(ta, url, { ...auth, 'accept-language': 'en' })
    assert.equal(res.statusCode, 404, url)
    assert.deepEqual(res.json(), {
      code: 'ADMIN_DISABLED',
      detail: 'The admin console is disabled: set ADMIN_TOKEN to enable it.',
    })
  }
})

test('a missing or wrong token gets no data; ten wrong tries lock the IP out, even with the right token', async (t) => {
  const ta = await buildTestApp(t, { env: ADMIN_ENV })
  await seedMessages(ta.app, [{ phone: '+998901234567', at: Date.now(), attempts: [['fake', 'sent']] }])
  const missing = await get(ta, '/api/v1/admin/logs', {})
  assert.equal(missing.statusCode, 401)
  assert.equal(missing.json().code, 'UNAUTHORIZED')
  const wrong = await get(ta, '/api/v1/admin/logs', {
    authorization: `Bearer ${ADMIN_TOKEN}x`,
    'accept-language': 'ru',
  })
  assert.equal(wrong.statusCode, 401)
  assert.deepEqual(wrong.json(), { code: 'ADMIN_TOKEN_INVALID', detail: 'Неверный токен администратора.' })
  assert.doesNotMatch(wrong.body, /998901234567/)
  assert.equal(
    (await get(ta, '/api/v1/admin/logs', { authorization: ADMIN_TOKEN })).json().code,
    'UNAUTHORIZED',
  )

  const ok = await get(ta, '/api/v1/admin/logs')
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.headers['cache-control'], 'no-store')
  assert.equal(ok.json().messages[0].phone, '+998901234567')

  for (let i = 0; i < 9; i++)
    assert.equal(
      (await get(ta, '/api/v1/admin/info', { authorization: `Bearer wrong-${i}` })).statusCode,
      401,
    )
  const locked = await get(ta, '/api/v1/admin/info')
  assert.equal(locked.statusCode, 429)
  assert.equal(locked.json().code, 'RATE_LIMITED')
  assert.ok(Number(locked.headers['retry-after']) > 0)
  // Another address is not affected.
  const other = await ta.app.inject({
    method: 'GET',
    url: '/api/v1/admin/info',
    headers: auth,
    remoteAddress: '10.0.0.9',
  })
  assert.equal(other.statusCode, 200)
})

test('the OpenAPI document lists the admin API under tag admin with the bearer scheme', async (t) => {
  const ta = await buildTestApp(t, { env: ADMIN_ENV })
  const doc = (await ta.app.inject('/openapi.json')).json()
  for (const path of [
    '/api/v1/admin/info',
    '/api/v1/admin/logs',
    '/api/v1/admin/usage',
    '/api/v1/admin/abuse',
  ]) {
    const op = doc.paths[path]?.get
    assert.ok(op, path)
    assert.deepEqual(op.tags, ['admin'])
    assert.deepEqual(op.security, [{ adminToken: [] }])
    assert.ok(op.responses['401'])
  }
  assert.equal(doc.components.securitySchemes.adminToken.scheme, 'bearer')
})

test('the console shell and Chart.js are served from the app with a strict CSP, nothing else from node_modules', async (t) => {
  const ta = await buildTestApp(t, { env: ADMIN_ENV })
  const redirect = await get(ta, '/admin', {})
  assert.equal(redirect.statusCode, 302)
  assert.equal(redirect.headers.location, '/admin/')
  const page = await get(ta, '/admin/', {})
  assert.equal(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /text\/html/)
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/)
  assert.match(page.body, /<script src="vendor\/chart.umd.min.js"/)
  // The page's script is an ES module per tab: served as JavaScript, or the browser refuses to run it.
  assert.match(page.body, /<script src="app.js" type="module"/)
  for (const path of ['app.js', 'core.js', 'widgets.js', 'tabs/logs.js', 'tabs/abuse.js']) {
    const script = await get(ta, `/admin/${path}`, {})
    assert.equal(script.statusCode, 200, path)
    assert.match(String(script.headers['content-type']), /javascript/, path)
  }
  const chart = await get(ta, '/admin/vendor/chart.umd.min.js', {})
  assert.equal(chart.statusCode, 200)
  assert.match(chart.body, /Chart/)
  assert.equal((await get(ta, '/admin/vendor/chart.cjs', {})).statusCode, 404)
  assert.equal((await get(ta, '/admin/vendor/../package.json', {})).statusCode, 404)
})

for (const backend of BACKENDS) {
  test(`[${backend.name}] logs: newest first, attempts grouped per message, filters, keyset pages`, {
    skip: backend.skip,
  }, async (t) => {
    const primary = new FakeSms('eskiz')
    const fallback = new FakeSms('twilio')
    const ta = await buildTestApp(t, {
      env: { ...ADMIN_ENV, OTP_RESEND_SECONDS: '0', ...(await backend.env(t)) },
      providers: [primary, fallback],
    })
    primary.fail('unavailable', 'eskiz is down')
    assert.equal((await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901112233' })).statusCode, 200)
    primary.failWith = null
    await seedMessages(ta.app, [
      { phone: '+998935550001', at: tashkent('2026-01-10', '09:00'), attempts: [['eskiz', 'delivered']] },
      {
        phone: '+79161234567',
        country: 'RU',
        at: tashkent('2026-01-11', '09:00'),
        attempts: [['twilio', 'undelivered']],
      },
      { phone: '+998935550002', at: tashkent('2026-01-12', '09:00'), attempts: [['eskiz', 'failed']] },
    ])

    const all = (await get(ta, '/api/v1/admin/logs')).json()
    assert.deepEqual(
      all.messages.map((m: { phone: string }) => m.phone),
      ['+998901112233', '+998935550002', '+79161234567', '+998935550001'],
    )
    const failover = all.messages[0]
    assert.equal(failover.status, 'queued')
    assert.equal(failover.provider, 'twilio')
    assert.deepEqual(
      failover.attempts.map(
        (a: { attempt: number; provider: string; status: string; error_message: string | null }) => [
          a.attempt,
          a.provider,
          a.status,
          a.error_message,
        ],
      ),
      [
        [1, 'eskiz', 'failed', 'eskiz is down'],
        [2, 'twilio', 'queued', null],
      ],
    )
    assert.equal(all.next_cursor, null)
    const delivered = all.messages.at(-1).attempts[0]
    assert.deepEqual(
      {
        ...delivered,
        id: undefined,
        provider_message_id: undefined,
        created_at: undefined,
        updated_at: undefined,
      },
      {
        id: undefined,
        attempt: 1,
        provider: 'eskiz',
        provider_message_id: undefined,
        status: 'delivered',
        error_code: null,
        error_message: null,
        segments: 1,
        cost: 90,
        currency: 'UZS',
        cost_usd: 0.007087,
        price_source: 'estimate',
        created_at: undefined,
        updated_at: undefined,
        receipts: [
          {
            status: 'delivered',
            provider_status: 'DELIVRD',
            error_code: null,
            received_at: new Date(tashkent('2026-01-10', '09:00') + 4000).toISOString(),
          },
        ],
      },
    )

    const phones = async (query: string) =>
      (await get(ta, `/api/v1/admin/logs?${query}`)).json().messages.map((m: { phone: string }) => m.phone)
    assert.deepEqual(await phones('phone=935550'), ['+998935550002', '+998935550001'])
    assert.deepEqual(await phones('phone=%2B998%2093%20555-00-01'), ['+998935550001'])
    assert.deepEqual(await phones('status=failed'), ['+998901112233', '+998935550002'])
    assert.deepEqual(await phones('provider=twilio'), ['+998901112233', '+79161234567'])
    assert.deepEqual(await phones('country=ru'), ['+79161234567'])
    assert.deepEqual(await phones('from=2026-01-11&to=2026-01-11'), ['+79161234567'])
    assert.deepEqual(await phones('from=2026-01-11&to=2026-01-12&provider=eskiz'), ['+998935550002'])

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await get(ta, `/api/v1/admin/logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      assert.equal(res.statusCode, 200)
      const body = res.json()
      seen.push(...body.messages.map((m: { phone: string }) => m.phone))
      cursor = body.next_cursor
      pages++
    } while (cursor)
    assert.equal(pages, 2)
    assert.deepEqual(
      seen,
      all.messages.map((m: { phone: string }) => m.phone),
    )

    const bad = await get(ta, '/api/v1/admin/logs?cursor=nonsense')
    assert.equal(bad.statusCode, 422)
    assert.equal(bad.json().code, 'VALIDATION_ERROR')
    assert.equal((await get(ta, '/api/v1/admin/logs?from=2026-02-30')).json().code, 'VALIDATION_ERROR')
    assert.equal((await get(ta, '/api/v1/admin/logs?status=lost')).statusCode, 422)
  })

  test(`[${backend.name}] usage: per Tashkent day by status and provider, delivery and verification rates`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
    await seedMessages(ta.app, [
      // 23:30 in Tashkent is still the 10th (18:30 UTC); 00:30 is the 11th though UTC says the 10th.
      { phone: '+998901000001', at: tashkent('2026-01-10', '23:30'), attempts: [['eskiz', 'delivered']] },
      {
        phone: '+998901000002',
        at: tashkent('2026-01-11', '00:30'),
        attempts: [
          ['eskiz', 'failed'],
          ['twilio', 'delivered'],
        ],
      },
      { phone: '+998901000003', at: tashkent('2026-01-11', '10:00'), attempts: [['twilio', 'undelivered']] },
      { phone: '+998901000004', at: tashkent('2026-01-11', '11:00'), attempts: [['eskiz', 'sent']] },
      { phone: '+998901000005', at: tashkent('2026-01-13', '11:00'), attempts: [['eskiz', 'failed']] },
    ])
    await seedEvents(ta.app, [
      { kind: 'sent', phone: '+998901000001', at: tashkent('2026-01-10', '23:30') },
      { kind: 'verified', phone: '+998901000001', at: tashkent('2026-01-10', '23:31') },
      { kind: 'sent', phone: '+998901000002', at: tashkent('2026-01-11', '00:30') },
      { kind: 'sent', phone: '+998901000003', at: tashkent('2026-01-11', '10:00') },
      { kind: 'sent', phone: '+998901000004', at: tashkent('2026-01-11', '11:00') },
      { kind: 'verified', phone: '+998901000004', at: tashkent('2026-01-11', '11:01') },
    ])
    const res = await get(ta, '/api/v1/admin/usage?from=2026-01-10&to=2026-01-13')
    assert.equal(res.statusCode, 200)
    const u = res.json()
    assert.deepEqual(u.days, ['2026-01-10', '2026-01-11', '2026-01-12', '2026-01-13'])
    assert.equal(u.time_zone, 'Asia/Tashkent')
    assert.deepEqual(u.attempts_by_status.delivered, [1, 1, 0, 0])
    assert.deepEqual(u.attempts_by_status.failed, [0, 1, 0, 1])
    assert.deepEqual(u.attempts_by_status.undelivered, [0, 1, 0, 0])
    assert.deepEqual(u.attempts_by_status.sent, [0, 1, 0, 0])
    assert.deepEqual(u.attempts_by_provider, { eskiz: [1, 2, 0, 1], twilio: [0, 2, 0, 0] })
    assert.deepEqual(u.messages, [1, 3, 0, 1])
    assert.deepEqual(u.delivered, [1, 1, 0, 0])
    assert.deepEqual(u.delivery_rate, [1, 0.3333, null, 0])
    assert.deepEqual(u.codes_sent, [1, 3, 0, 0])
    assert.deepEqual(u.codes_verified, [1, 1, 0, 0])
    assert.deepEqual(u.totals, {
      messages: 5,
      delivered: 2,
      undelivered: 1,
      failed: 1,
      in_flight: 1,
      unknown: 0,
      delivery_rate: 0.4,
      codes_sent: 4,
      codes_verified: 2,
      verification_rate: 0.5,
    })
    const bad = await get(ta, '/api/v1/admin/usage?from=2026-01-13&to=2026-01-10')
    assert.equal(bad.statusCode, 422)
    assert.equal(bad.json().code, 'VALIDATION_ERROR')
    const year = await get(ta, '/api/v1/admin/usage?from=2024-01-01&to=2026-01-01')
    assert.equal(year.statusCode, 422)
  })

  test(`[${backend.name}] real sign-ins are counted: codes sent and verified by the OTP flow`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
    for (const phone of ['+998901230001', '+998901230002']) {
      assert.equal((await post(ta.app, '/api/v1/auth/send-otp', { phone })).statusCode, 200)
    }
    const verified = await post(ta.app, '/api/v1/auth/verify-otp', {
      phone: '+998901230001',
      code: ta.sms.codeFor('+998901230001'),
    })
    assert.equal(verified.statusCode, 200)
    const wrong = await post(ta.app, '/api/v1/auth/verify-otp', { phone: '+998901230002', code: '000000' })
    assert.notEqual(wrong.statusCode, 200)
    const u = (await get(ta, '/api/v1/admin/usage')).json()
    assert.equal(u.totals.codes_sent, 2)
    assert.equal(u.totals.codes_verified, 1)
    assert.equal(u.totals.verification_rate, 0.5)
    assert.equal(u.totals.messages, 2)
    assert.equal(u.days.length, 30)
    assert.equal(u.codes_sent.at(-1), 2)
  })

  test(`[${backend.name}] abuse: who is rate-limited now, top sending IPs and number prefixes`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, {
      env: { ...ADMIN_ENV, OTP_IP_LIMIT_PER_MINUTE: '2', ...(await backend.env(t)) },
    })
    const send = (phone: string, ip: string) =>
      ta.app.inject({ method: 'POST', url: '/api/v1/auth/send-otp', payload: { phone }, remoteAddress: ip })
    assert.equal((await send('+998901110001', '203.0.113.7')).statusCode, 200)
    assert.equal((await send('+998901110002', '203.0.113.7')).statusCode, 200)
    assert.equal((await send('+998901110003', '203.0.113.7')).statusCode, 429)
    assert.equal((await send('+998901110001', '192.0.2.5')).statusCode, 429)
    assert.equal((await send('+998935550004', '198.51.100.1')).statusCode, 200)

    const res = await get(ta, '/api/v1/admin/abuse')
    assert.equal(res.statusCode, 200)
    const a = res.json()
    const limited = a.limited.map(
      (l: { limit: string; subject: string; key: string }) => `${l.limit} ${l.subject} ${l.key}`,
    )
    assert.ok(limited.includes('otp_ip ip 203.0.113.7'), limited.join(', '))
    // One request of two: not limited yet.
    assert.ok(!limited.includes('otp_ip ip 192.0.2.5'))
    for (const phone of ['+998901110001', '+998901110002', '+998935550004'])
      assert.ok(limited.includes(`otp_resend number ${phone}`), phone)
    const ip = a.limited.find((l: { key: string }) => l.key === '203.0.113.7')
    assert.equal(ip.max, 2)
    assert.ok(ip.count >= 2 && ip.retry_after >= 1 && ip.retry_after <= 60)
    assert.deepEqual(a.top_ips, [
      { ip: '203.0.113.7', codes: 2, numbers: 2 },
      { ip: '198.51.100.1', codes: 1, numbers: 1 },
    ])
    assert.deepEqual(a.top_prefixes, [
      { prefix: '+998901110', messages: 2, numbers: 2 },
      { prefix: '+998935550', messages: 1, numbers: 1 },
    ])
  })
}

for (const backend of BACKENDS) {
  test(`[${backend.name}] billing: cost per Tashkent day, country and provider; month to date and projected`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
    await seedMessages(ta.app, [
      { phone: '+998901000001', at: tashkent('2025-12-31', '23:30'), attempts: [['eskiz', 'delivered']] },
      {
        phone: '+79161234567',
        country: 'RU',
        at: tashkent('2026-01-01', '00:30'),
        attempts: [['twilio', 'delivered']],
      },
      {
        phone: '+998901000002',
        at: tashkent('2026-01-10', '10:00'),
        attempts: [
          ['eskiz', 'failed'],
          ['twilio', 'delivered'],
        ],
      },
      { phone: '+998901000003', at: tashkent('2026-01-12', '10:00'), attempts: [['playmobile', 'sent']] },
      { phone: '+998901000004', at: tashkent('2026-01-15', '10:00'), attempts: [['eskiz', 'sent']] },
    ])
    const now = tashkent('2026-01-15', '12:00')
    const service = tashkentReports(ta.app)
    const b = await service.billing('2025-12-31', '2026-01-15', now)
    assert.equal(b.days.length, 16)
    const day = (d: string) => b.days.indexOf(d)
    assert.equal(b.cost_by_day.eskiz?.[day('2025-12-31')], 0.0071)
    assert.equal(b.cost_by_day.eskiz?.[day('2026-01-15')], 0.0071)
    assert.equal(b.cost_by_day.twilio?.[day('2026-01-01')], 0.053)
    assert.equal(b.cost_by_day.twilio?.[day('2026-01-10')], 0.053)
    assert.equal(
      b.cost_by_day.eskiz?.reduce((a, v) => a + v, 0),
      0.0142,
    )
    assert.deepEqual(
      b.cost_by_day.playmobile,
      b.days.map(() => 0),
    )
    assert.deepEqual(b.by_country, [
      { country: 'UZ', cost: 0.0672, messages: 3 },
      { country: 'RU', cost: 0.053, messages: 1 },
    ])
    assert.deepEqual(b.by_provider, [
      { provider: 'twilio', cost: 0.106, messages: 2 },
      { provider: 'eskiz', cost: 0.0142, messages: 2 },
      { provider: 'playmobile', cost: 0, messages: 0 },
    ])
    assert.equal(b.total, 0.1202)
    assert.equal(b.today, 0.0071)
    assert.equal(b.unpriced, 1)
    const toDate = 0.053 + 0.053 + 0.007087
    assert.deepEqual(b.month, {
      month: '2026-01',
      to_date: 0.1131,
      projected: Math.round(((toDate * 31) / 14.5) * 10_000) / 10_000,
      days_elapsed: 15,
      days_in_month: 31,
    })
    assert.equal(b.currency, 'USD')
  })
}

test('billing over HTTP: balances of the providers that report one, and why one could not', async (t) => {
  const withBalance = Object.assign(new FakeSms('eskiz'), {
    balance: async () => ({ amount: 125_000, currency: 'UZS' }),
  })
  const broken = Object.assign(new FakeSms('twilio'), {
    balance: async () => {
      throw new SmsError('auth_failed', 'Unable to fetch record: Authenticate')
    },
  })
  const ta = await buildTestApp(t, {
    env: ADMIN_ENV,
    providers: [withBalance, new FakeSms('playmobile'), broken],
  })
  const res = await get(ta, '/api/v1/admin/billing')
  assert.equal(res.statusCode, 200)
  const b = res.json()
  assert.deepEqual(b.balances, [
    { provider: 'eskiz', balance: 125_000, currency: 'UZS', error: null },
    { provider: 'playmobile', balance: null, currency: null, error: null },
    { provider: 'twilio', balance: null, currency: null, error: 'Unable to fetch record: Authenticate' },
  ])
  assert.equal(b.days.length, 30)
  assert.equal(b.total, 0)
  assert.equal((await get(ta, '/api/v1/admin/billing', {})).statusCode, 401)
  assert.equal((await get(ta, '/api/v1/admin/billing?from=2026-13-01')).statusCode, 422)
})

for (const backend of BACKENDS) {
  test(`[${backend.name}] blocked prefixes: listed with their reason, lifted from the console`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
    const { blocks } = ta.app.stores
    const db = ta.app.storage.db.db
    const now = Date.now()
    await blocks.block(
      {
        prefix: '+998901234',
        reason: 'volume',
        detail: '31 codes in 3600 s',
        createdBy: 'auto',
        expiresAt: now + 3_600_000,
      },
      now - 1000,
    )
    await blocks.block(
      { prefix: '+998935550', reason: 'manual', detail: 'fraud report', createdBy: 'cli', expiresAt: null },
      now,
    )
    await blocks.block(
      { prefix: '+998977770', reason: 'verify_rate', detail: 'old', createdBy: 'auto', expiresAt: now - 1 },
      now - 7_200_000,
    )

    const blocked = await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901234567' })
    assert.equal(blocked.json().code, 'OTP_PREFIX_BLOCKED')

    const a = (await get(ta, '/api/v1/admin/abuse')).json()
    assert.deepEqual(a.blocks, [
      {
        prefix: '+998935550',
        reason: 'manual',
        detail: 'fraud report',
        created_by: 'cli',
        created_at: new Date(now).toISOString(),
        expires_at: null,
      },
      {
        prefix: '+998901234',
        reason: 'volume',
        detail: '31 codes in 3600 s',
        created_by: 'auto',
        created_at: new Date(now - 1000).toISOString(),
        expires_at: new Date(now + 3_600_000).toISOString(),
      },
    ])

    const lift = await ta.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/blocks/%2B998901234',
      headers: auth,
    })
    assert.equal(lift.statusCode, 204)
    const again = await ta.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/blocks/%2B998901234',
      headers: { ...auth, 'accept-language': 'en' },
    })
    assert.equal(again.statusCode, 404)
    assert.deepEqual(again.json(), {
      code: 'BLOCK_NOT_FOUND',
      detail: 'No block is in force for this prefix.',
    })
    assert.equal(
      (await ta.app.inject({ method: 'DELETE', url: '/api/v1/admin/blocks/%2B998977770', headers: auth }))
        .statusCode,
      404,
    )
    assert.equal(
      (await ta.app.inject({ method: 'DELETE', url: '/api/v1/admin/blocks/abc', headers: auth })).statusCode,
      422,
    )
    assert.equal(
      (await ta.app.inject({ method: 'DELETE', url: '/api/v1/admin/blocks/%2B998935550' })).statusCode,
      401,
    )

    const row = await db
      .selectFrom('blocked_prefixes')
      .selectAll()
      .where('prefix', '=', '+998901234')
      .executeTakeFirstOrThrow()
    assert.equal(row.removed_by, 'admin')
    assert.deepEqual(
      (await get(ta, '/api/v1/admin/abuse')).json().blocks.map((b: { prefix: string }) => b.prefix),
      ['+998935550'],
    )
    assert.equal((await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901234567' })).statusCode, 200)
  })
}
