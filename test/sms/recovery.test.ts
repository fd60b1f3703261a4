import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { EskizProvider } from '../../src/channels/eskiz/provider.js'
import type { SmsProvider } from '../../src/channels/provider.js'
import { ADMIN_ENV, auth } from '../admin/seed.js'
import { BACKENDS, buildTestApp, type LogCapture } from '../helpers.js'
import { eskizEnv, fakeGateway, type Received } from './gateway-fakes.js'
import { ACCOUNT_SID, MESSAGES_PATH, recordingServer, twilioEnv, twilioProvider } from './twilio-fakes.js'

const HOUR = 3600 * 1000

/** Writes a row as the sender does before calling its gateway, then "crashes": nothing records the answer. */
async function crashedAttempt(app: FastifyInstance, id: string, provider: string, phone: string, at: number) {
  await app.stores.smsLog.pending({
    id,
    requestId: `req-${id}`,
    attempt: 1,
    phone,
    country: phone.startsWith('+998') ? 'UZ' : 'US',
    operator: null,
    provider,
    segments: 1,
    encoding: 'GSM-7',
    estimate: null,
    at,
  })
}

const rowsOf = (app: FastifyInstance) =>
  app.storage.db.db
    .selectFrom('sms_log')
    .select(['id', 'status', 'provider_message_id'])
    .orderBy('id')
    .execute()

/** Waits for the background run's summary line (the run is started by listen, not awaited by it). */
async function summary(logs: LogCapture): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const line = logs.messages().find((m) => m.startsWith('SMS log: '))
    if (line) return line
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`no summary line; logs: ${logs.messages().join(' | ')}`)
}

/** Eskiz: login, then the list of messages around the attempt's time, holding only row "a". */
const eskizAnswers = (req: Received) => {
  if (req.url === '/api/auth/login') return { status: 200, body: { data: { token: 'tok1' } } }
  if (req.url === '/api/message/sms/get-user-messages')
    return {
      status: 200,
      body: {
        status: 'success',
        data: {
          result: [
            { id: 16, user_sms_id: 'someone-else', status: 'DELIVERED', request_id: 'r-0' },
            {
              id: 17,
              user_sms_id: 'a',
              status: 'DELIVERED',
              request_id: '7fc5c514-aa30-4adc-9b80-2956d612fb4c',
            },
          ],
        },
      },
    }
  return { status: 404, body: { message: 'not found' } }
}

for (const backend of BACKENDS.filter((b) => b.name !== 'redis')) {
  test(`[${backend.name}] at start, rows a crash left pending are settled from their gateway or marked unknown`, {
    skip: backend.skip,
  }, async (t) => {
    const eskiz = await fakeGateway(t, [eskizAnswers])
    const twilio = await recordingServer(t, (req, res) => {
      const created = new Date(Date.now() - HOUR + 5000).toUTCString()
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          messages: [
            {
              sid: 'SM0123456789abcdef0123456789abcdef',
              to: '+12025550123',
              status: 'delivered',
              date_created: created,
              account_sid: ACCOUNT_SID,
            },
          ],
          next_page_uri: null,
          page: 0,
          page_size: 20,
        }),
      )
      void req
    })
    const ta = await buildTestApp(t, {
      configuredProviders: true,
      env: {
        ...(await backend.env(t)),
        ...eskizEnv(eskiz.url),
        ...twilioEnv(twilio.url),
        ...ADMIN_ENV,
        SMS_ROUTES: 'UZ=eskiz;*=twilio',
      },
    })
    const now = Date.now()
    await crashedAttempt(ta.app, 'a', 'eskiz', '+998901234567', now - HOUR) // Eskiz knows it
    await crashedAttempt(ta.app, 'b', 'eskiz', '+998901234568', now - HOUR) // Eskiz has no such message
    await crashedAttempt(ta.app, 'c', 'twilio', '+12025550123', now - HOUR) // Twilio lists one to the number
    await crashedAttempt(ta.app, 'd', 'playmobile', '+998901234569', now - HOUR) // no gateway to ask
    await crashedAttempt(ta.app, 'e', 'eskiz', '+998901234560', now) // still in flight: left alone

    await ta.app.listen({ port: 0, host: '127.0.0.1' })
    assert.equal(
      await summary(ta.logs),
      'SMS log: 4 attempt(s) left pending by an earlier stop: 2 settled from their gateway, 2 marked unknown',
    )
    assert.deepEqual(await rowsOf(ta.app), [
      { id: 'a', status: 'delivered', provider_message_id: '7fc5c514-aa30-4adc-9b80-2956d612fb4c' },
      { id: 'b', status: 'unknown', provider_message_id: null },
      { id: 'c', status: 'delivered', provider_message_id: 'SM0123456789abcdef0123456789abcdef' },
      { id: 'd', status: 'unknown', provider_message_id: null },
      { id: 'e', status: 'pending', provider_message_id: null },
    ])

    // What the gateways were asked: Eskiz's list around the attempt's time (Tashkent time, to the minute)...
    const lists = eskiz.received.filter((r) => r.url === '/api/message/sms/get-user-messages')
    assert.equal(lists.length, 2)
    const tashkent = (ms: number) => new Date(ms + 5 * HOUR).toISOString().slice(0, 16).replace('T', ' ')
    assert.deepEqual(lists[0]?.form, {
      start_date: tashkent(now - HOUR - 10 * 60_000),
      to_date: tashkent(now - HOUR + 10 * 60_000),
      page_size: '200',
    })
    assert.equal(lists[0]?.headers.authorization, 'Bearer tok1')
    // ...and Twilio's messages to the number sent around it.
    assert.equal(twilio.requests.length, 1)
    const asked = new URL(twilio.requests[0]?.path ?? '', 'http://x')
    assert.equal(asked.pathname, MESSAGES_PATH)
    assert.equal(asked.searchParams.get('To'), '+12025550123')
    assert.ok(asked.searchParams.get('DateSent>'), asked.search)
    assert.ok(asked.searchParams.get('DateSent<'), asked.search)

    // A receipt still moves an unknown row on.
    const moved = await ta.app.stores.smsLog.applyReceipt({
      provider: 'eskiz',
      logId: 'b',
      rawStatus: 'DELIVRD',
      status: 'delivered',
      errorCode: null,
      reported: null,
      at: Date.now(),
    })
    assert.equal(moved, 'updated')
    assert.equal((await rowsOf(ta.app)).find((r) => r.id === 'b')?.status, 'delivered')

    // The admin console counts what stays unknown.
    const usage = await ta.app.inject({ method: 'GET', url: '/api/v1/admin/usage', headers: auth })
    assert.equal(usage.statusCode, 200, usage.body)
    assert.equal(usage.json().totals.unknown, 1)
    assert.equal(
      usage.json().attempts_by_status.unknown.reduce((a: number, b: number) => a + b, 0),
      1,
    )
  })
}

test('a gateway that cannot be asked is asked once; its rows become unknown, and the log says why', async (t) => {
  let calls = 0
  const down: SmsProvider = {
    name: 'fake',
    send: async () => ({ providerMessageId: null, status: 'queued' }),
    status: async () => {
      calls++
      throw new Error('connect ECONNREFUSED 127.0.0.1:9')
    },
  }
  const ta = await buildTestApp(t, { providers: [down] })
  const now = Date.now()
  for (const id of ['x1', 'x2', 'x3']) await crashedAttempt(ta.app, id, 'fake', '+998901234567', now - HOUR)
  await ta.app.listen({ port: 0, host: '127.0.0.1' })
  assert.equal(
    await summary(ta.logs),
    'SMS log: 3 attempt(s) left pending by an earlier stop: 0 settled from their gateway, 3 marked unknown',
  )
  assert.equal(calls, 1)
  assert.ok(
    ta.logs
      .messages()
      .includes(
        'Could not ask fake what became of SMS x1: connect ECONNREFUSED 127.0.0.1:9; its rows left pending by the last stop are marked unknown',
      ),
  )
  assert.deepEqual(
    (await rowsOf(ta.app)).map((r) => r.status),
    ['unknown', 'unknown', 'unknown'],
  )
})

test('inject-only apps (tests, no listen) never run the recovery', async (t) => {
  const ta = await buildTestApp(t)
  await crashedAttempt(ta.app, 'p', 'fake', '+998901234567', Date.now() - HOUR)
  await ta.app.ready()
  const res = await ta.app.inject({ method: 'GET', url: '/health' })
  assert.equal(res.statusCode, 200)
  assert.equal((await rowsOf(ta.app))[0]?.status, 'pending')
})

test('Twilio: a row with a SID is fetched by it; an unknown SID is null', async (t) => {
  const sid = 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
  const server = await recordingServer(t, (req, res) => {
    if (req.path.endsWith(`/Messages/${sid}.json`))
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ sid, status: 'undelivered', account_sid: ACCOUNT_SID }))
    else
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ code: 20404, message: 'The requested resource was not found', status: 404 }))
  })
  const provider = twilioProvider(server.url)
  const query = { messageId: 'm', to: '+12025550123', at: Date.now() }
  assert.deepEqual(await provider.status({ ...query, providerMessageId: sid }, AbortSignal.timeout(5000)), {
    providerMessageId: sid,
    rawStatus: 'undelivered',
    status: 'undelivered',
  })
  assert.equal(
    await provider.status(
      { ...query, providerMessageId: 'SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
      AbortSignal.timeout(5000),
    ),
    null,
  )
  assert.equal(server.requests[0]?.method, 'GET')
})

test("Eskiz: a row with Eskiz's id is looked up by it (status_by_id); an id Eskiz does not know is null", async (t) => {
  const fake = await fakeGateway(t, [
    (req) => {
      if (req.url === '/api/auth/login') return { status: 200, body: { data: { token: 'tok1' } } }
      if (req.url === '/api/message/sms/status_by_id/61359094')
        return { status: 200, body: { status: 'success', data: { id: 61359094, status: 'REJECTED' } } }
      return { status: 404, body: { message: 'Not found' } }
    },
  ])
  const provider = new EskizProvider(
    { email: 'ops@royaltaxi.uz', password: 'p', from: '4546', baseUrl: fake.url, callbackUrl: null },
    5000,
  )
  const query = { messageId: 'm', to: '+998901234567', at: Date.now() }
  assert.deepEqual(
    await provider.status({ ...query, providerMessageId: '61359094' }, AbortSignal.timeout(5000)),
    {
      providerMessageId: '61359094',
      rawStatus: 'REJECTED',
      status: 'failed',
    },
  )
  assert.equal(await provider.status({ ...query, providerMessageId: '1' }, AbortSignal.timeout(5000)), null)
  assert.deepEqual(
    fake.received.map((r) => `${r.method} ${r.url}`),
    [
      'POST /api/auth/login',
      'GET /api/message/sms/status_by_id/61359094',
      'GET /api/message/sms/status_by_id/1',
    ],
  )
})
