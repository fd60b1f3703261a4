// The Twilio provider, built from the settings as the server builds it, against a small in-process fake that
// answers with Twilio's error JSON (or not at all). Asserted through the HTTP API, the SMS log, the log lines
// and the exact request the fake received.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { buildTestApp, post, SECRET } from '../helpers.js'
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  FROM,
  fields,
  MESSAGES_PATH,
  MESSAGING_SERVICE_SID,
  type RecordingServer,
  recordingServer,
  twilioCreated,
  twilioEnv,
  twilioError,
  twilioProvider,
} from './twilio-fakes.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const PHONE = '+998901234567'
const TIMEOUT_MS = 300
const UZ_BODY =
  /^Royal Taxi tasdiqlash kodi: (\d{6})\nKod 5 daqiqa davomida amal qiladi\.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring\.$/
const WARN = 40
const ERROR = 50
/** What an Authorization header would carry: must not leak either. */
const BASIC = Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')

/** The exact request our provider must send for one message to PHONE from FROM. */
function assertTwilioRequest(fake: RecordingServer, index = 0): string {
  const req = fake.requests[index]
  assert.ok(req, `request #${index + 1} never reached the fake`)
  assert.equal(req.method, 'POST')
  assert.equal(req.path, MESSAGES_PATH)
  assert.equal(req.user, ACCOUNT_SID)
  assert.equal(req.password, AUTH_TOKEN)
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded')
  assert.deepEqual(
    req.form.map(([k]) => k),
    ['To', 'From', 'Body'],
    'each field once',
  )
  const f = fields(req)
  assert.equal(f.To, PHONE)
  assert.equal(f.From, FROM)
  const code = UZ_BODY.exec(f.Body ?? '')?.[1]
  assert.ok(code, `not the three-line SMS text: ${JSON.stringify(f.Body)}`)
  return code
}

const FAILURES = [
  {
    name: '20003 Authenticate (wrong SID or token)',
    answer: twilioError(20003, 401, 'Authenticate'),
    status: 503,
    code: 'SMS_UNAVAILABLE',
    kind: 'auth_failed',
    logged: 'Unable to create record: Authenticate',
  },
  {
    name: '21211 invalid To number',
    answer: twilioError(21211, 400, "The 'To' number +998901234567 is not a valid phone number."),
    status: 422,
    code: 'INVALID_PHONE',
    kind: 'invalid_recipient',
    logged: "Unable to create record: The 'To' number +998901234567 is not a valid phone number.",
  },
  {
    name: '21614 not a mobile number',
    answer: twilioError(21614, 400, "'To' number is not a valid mobile number"),
    status: 422,
    code: 'INVALID_PHONE',
    kind: 'invalid_recipient',
    logged: "Unable to create record: 'To' number is not a valid mobile number",
  },
  {
    name: '20429 Too Many Requests',
    answer: twilioError(20429, 429, 'Too Many Requests'),
    status: 503,
    code: 'SMS_UNAVAILABLE',
    kind: 'throttled',
    logged: 'Unable to create record: Too Many Requests',
  },
  {
    // Our trial account's limit, not the passenger's fault: 503, and another gateway may deliver it.
    name: '21608 unverified number on a trial account',
    answer: twilioError(
      21608,
      400,
      'The number +998901234567 is unverified. Trial accounts cannot send messages to unverified numbers',
    ),
    status: 503,
    code: 'SMS_UNAVAILABLE',
    kind: 'unavailable',
    logged:
      'Unable to create record: The number +998901234567 is unverified. Trial accounts cannot send messages to unverified numbers',
  },
  {
    name: '21408 region not enabled in Geo permissions',
    answer: twilioError(
      21408,
      400,
      "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +998901234567.",
    ),
    status: 503,
    code: 'SMS_UNAVAILABLE',
    kind: 'unavailable',
    logged:
      "Unable to create record: Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +998901234567.",
  },
  {
    name: `a timeout (no answer within SMS_TIMEOUT_MS=${TIMEOUT_MS})`,
    answer: () => {}, // never answers
    status: 503,
    code: 'SMS_UNAVAILABLE',
    kind: 'unavailable',
    logged: `No answer from Twilio within ${TIMEOUT_MS} ms`,
  },
  {
    name: 'a connection closed before any answer',
    answer: (_req: unknown, res: import('node:http').ServerResponse) => {
      res.socket?.destroy()
    },
    status: 503,
    code: 'SMS_UNAVAILABLE',
    kind: 'unavailable',
    logged: 'Twilio closed the connection without answering',
  },
  {
    name: 'a proxy in between answering 502 with an HTML page',
    answer: (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><h1>502 Bad Gateway</h1></html>')
    },
    status: 503,
    code: 'SMS_UNAVAILABLE',
    kind: 'unavailable',
    logged: 'Unable to create record: [HTTP 502] Failed to execute request',
  },
] as const

for (const f of FAILURES) {
  test(`Twilio ${f.name}: ${f.status} ${f.code}, code discarded, no cooldown, logged`, async (t) => {
    const fake = await recordingServer(t, f.answer)
    const ta = await buildTestApp(t, {
      env: twilioEnv(fake.url, { SMS_TIMEOUT_MS: String(TIMEOUT_MS) }),
      configuredProviders: true,
    })

    const res = await post(ta.app, SEND, { phone: PHONE })
    assert.equal(res.statusCode, f.status, res.body)
    assert.equal(res.json().code, f.code)
    assert.ok(!res.body.includes(f.logged), "Twilio's message stays in the log")
    assert.equal(fake.requests.length, 1, 'one request, no automatic retry')
    const code = assertTwilioRequest(fake)

    // Exact runbook lines, at their levels.
    const lines = ta.logs.lines
    assert.ok(
      lines.some((l) => l.level === WARN && l.msg === `⚠️ Failed to send SMS to ${PHONE}`),
      ta.logs.text(),
    )
    assert.ok(
      lines.some((l) => l.level === ERROR && l.msg === `Twilio error sending SMS: ${f.logged}`),
      ta.logs.text(),
    )
    assert.ok(!ta.logs.messages().some((m) => m.startsWith('✅ SMS sent')))

    const rows = await ta.app.storage.db.db.selectFrom('sms_log').selectAll().execute()
    assert.equal(rows.length, 1)
    assert.equal(rows[0]?.provider, 'twilio')
    assert.equal(rows[0]?.status, 'failed')
    assert.equal(rows[0]?.error_code, f.kind)
    assert.equal(rows[0]?.error_message, f.logged)
    assert.equal(rows[0]?.provider_message_id, null)

    // The code that was in the failed SMS is gone, and so is any other.
    for (const guess of [code, '000000']) {
      const verify = await post(ta.app, VERIFY, { phone: PHONE, code: guess })
      assert.equal(verify.statusCode, 400)
      assert.equal(verify.json().code, 'OTP_EXPIRED')
    }

    // No cooldown: asking again at once reaches Twilio again (and fails the same way, not with 429).
    const again = await post(ta.app, SEND, { phone: PHONE })
    assert.equal(again.statusCode, f.status, again.body)
    assert.equal(fake.requests.length, 2)

    for (const text of [ta.logs.text(), res.body, again.body])
      for (const secret of [AUTH_TOKEN, SECRET, BASIC, code])
        assert.ok(!text.includes(secret), `${secret} leaked into ${text.slice(0, 200)}`)
  })
}

test('after a failure the same number can sign in as soon as Twilio accepts again', async (t) => {
  const fake = await recordingServer(t, twilioError(20429, 429, 'Too Many Requests'))
  const ta = await buildTestApp(t, { env: twilioEnv(fake.url), configuredProviders: true })
  assert.equal((await post(ta.app, SEND, { phone: PHONE })).statusCode, 503)
  fake.handler = twilioCreated('SM0123456789abcdef0123456789abcdef')
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().otp_code, undefined)
  const code = assertTwilioRequest(fake, 1)
  assert.ok(
    ta.logs.messages().includes(`✅ SMS sent to ${PHONE}. Message SID: SM0123456789abcdef0123456789abcdef`),
  )
  assert.deepEqual(
    (await ta.app.storage.db.db.selectFrom('sms_log').select('status').orderBy('created_at').execute()).map(
      (r) => r.status,
    ),
    ['failed', 'queued'],
  )
  assert.equal((await post(ta.app, VERIFY, { phone: PHONE, code })).statusCode, 200)
  // Now the cooldown runs.
  assert.equal((await post(ta.app, SEND, { phone: PHONE })).statusCode, 429)
})

test('with TWILIO_MESSAGING_SERVICE_SID the request names the service instead of a From number', async (t) => {
  const fake = await recordingServer(t, twilioCreated('SMfedcba9876543210fedcba9876543210', 'accepted'))
  const ta = await buildTestApp(t, {
    env: twilioEnv(fake.url, { TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE_SID }),
    configuredProviders: true,
  })
  const res = await post(ta.app, SEND, { phone: PHONE })
  assert.equal(res.statusCode, 200, res.body)
  const req = fake.requests[0]
  assert.equal(req?.path, MESSAGES_PATH)
  assert.deepEqual(
    req?.form.map(([k]) => k),
    ['To', 'MessagingServiceSid', 'Body'],
    'the service wins over TWILIO_PHONE_NUMBER; From is not sent',
  )
  assert.equal(fields(req).MessagingServiceSid, MESSAGING_SERVICE_SID)
  const [row] = await ta.app.storage.db.db.selectFrom('sms_log').selectAll().execute()
  assert.equal(row?.provider_message_id, 'SMfedcba9876543210fedcba9876543210')
  assert.equal(row?.status, 'queued', "Twilio's 'accepted' is still on its way")
})

test('TWILIO_API_BASE_URL is honoured whatever TWILIO_EDGE / TWILIO_REGION the process carries', async (t) => {
  // By name, not by IP: the SDK's rewrite silently fails on an IP address but turns a host name into
  // localhost.sydney.au1.localhost.
  const fake = await recordingServer(t, twilioCreated('SM0123456789abcdef0123456789abcdef'), 'localhost')
  const saved = { edge: process.env.TWILIO_EDGE, region: process.env.TWILIO_REGION }
  // The SDK reads these at construction and would put them into the host of every request.
  process.env.TWILIO_EDGE = 'sydney'
  process.env.TWILIO_REGION = 'au1'
  let provider: ReturnType<typeof twilioProvider>
  try {
    provider = twilioProvider(fake.url)
  } finally {
    for (const [key, value] of [
      ['TWILIO_EDGE', saved.edge],
      ['TWILIO_REGION', saved.region],
    ] as const)
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
  }
  const result = await provider.send({ to: PHONE, text: 'hello', messageId: 'm1' }, AbortSignal.timeout(2000))
  assert.deepEqual(result, { providerMessageId: 'SM0123456789abcdef0123456789abcdef', status: 'queued' })
  assert.equal(fake.requests[0]?.path, MESSAGES_PATH)
})

test('the Twilio guides quote the runbook lines exactly as the service writes them', () => {
  const lines = [
    '✅ Twilio SMS service initialized successfully',
    'Twilio SMS service disabled (TWILIO_ENABLED=false)',
    `⚠️ Failed to send SMS to ${PHONE}`,
    `✅ SMS sent to ${PHONE}. Message SID: SM`,
    ...FAILURES.filter((f) => !f.logged.includes(PHONE)).map((f) =>
      `Twilio error sending SMS: ${f.logged}`.replace(`${TIMEOUT_MS} ms`, '5000 ms'),
    ),
  ]
  for (const file of ['docs/twilio-guide.en.md', 'docs/twilio-guide.uz.md']) {
    const text = readFileSync(file, 'utf8')
    for (const line of lines) assert.ok(text.includes(line), `${file} lacks ${line}`)
  }
})

test('messages reuse keep-alive connections: at most two per request in flight, not one per message', async (t) => {
  const fake = await recordingServer(t, twilioCreated('SM0123456789abcdef0123456789abcdef'))
  const provider = twilioProvider(fake.url)
  const send = (i: number) =>
    provider.send({ to: PHONE, text: `code ${i}`, messageId: `m${i}` }, AbortSignal.timeout(5000))
  // undici reuses a connection one turn of the event loop after its answer (in case the server closes it
  // despite keep-alive): a message sent sooner, as each one here is, takes another connection, and from then
  // on the two take turns.
  for (let i = 0; i < 20; i++) await send(i)
  assert.ok(fake.connections <= 2, `${fake.connections} connections for twenty messages one after another`)
  for (let round = 0; round < 3; round++) await Promise.all([0, 1, 2, 3, 4].map((i) => send(100 + i)))
  assert.equal(fake.requests.length, 35)
  assert.ok(fake.connections <= 10, `${fake.connections} connections for 5 messages in flight at a time`)
})
