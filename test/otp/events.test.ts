import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import { type Db, migrate, openDatabase } from '../../src/db/index.js'
import { OtpEvents, type OtpEventsLimits } from '../../src/otp/events.js'
import { openStores } from '../../src/stores/index.js'
import type { StatsStore } from '../../src/stores/stats/index.js'
import { ADMIN_ENV, auth } from '../admin/seed.js'
import { eventually } from '../faults/proxy.js'
import { BACKENDS, buildTestApp, post, signIn } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const OPEN = { OTP_RESEND_SECONDS: '0', OTP_IP_LIMIT_PER_MINUTE: '10000' }
const FAILED = 'could not record an OTP event for the admin statistics'
const UZ = { e164: '+998901234567', country: 'UZ' }
/** Written only by a full batch of 500 or by flush(): what the app writes on its own is then known. */
const HELD: OtpEventsLimits = { batchSize: 500, delayMs: 3_600_000, maxPending: 10_000 }

/** A number per request, each under its own prefix so that no per-prefix limit is reached. */
const phone = (i: number) => `+99890${String(i).padStart(4, '0')}000`

async function rows(db: Db): Promise<number> {
  const row = await db
    .selectFrom('otp_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The sizes of the writes made to `store` from now on. */
function countWrites(t: TestContext, store: StatsStore): () => number[] {
  const spy = t.mock.method(store, 'add')
  return () => spy.mock.calls.map((c) => c.arguments[0].length)
}

/** A migrated in-memory SQLite database, and a logger that keeps its warn lines. */
async function standalone(t: TestContext) {
  const handle = openDatabase({ kind: 'sqlite', path: ':memory:' })
  await migrate(handle)
  t.after(() => handle.close())
  const warnings: { msg: string; [k: string]: unknown }[] = []
  const log = { warn: (obj: object, msg: string) => warnings.push({ ...obj, msg }) } as unknown as Logger
  const store = openStores(handle, null).stats
  const events = (limits: OtpEventsLimits, over = store) => new OtpEvents({ store: over, log, limits })
  return { db: handle.db, store, warnings, events }
}

for (const backend of BACKENDS) {
  test(`[${backend.name}] concurrent sends: every code counted, in far fewer writes than rows`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...OPEN, ...(await backend.env(t)) } })
    const writes = countWrites(t, ta.app.stores.stats)
    const n = 100
    const sent = await Promise.all(
      Array.from({ length: n }, (_, i) => post(ta.app, SEND, { phone: phone(i) })),
    )
    assert.deepEqual(new Set(sent.map((r) => r.statusCode)), new Set([200]))

    // No wait: the admin service writes this instance's buffered rows before it reads them.
    const usage = (await ta.app.inject({ method: 'GET', url: '/api/v1/admin/usage', headers: auth })).json()
    assert.equal(usage.totals.codes_sent, n)
    const abuse = (await ta.app.inject({ method: 'GET', url: '/api/v1/admin/abuse', headers: auth })).json()
    assert.deepEqual(abuse.top_ips, [{ ip: '127.0.0.1', codes: n, numbers: n }])
    assert.equal(await rows(ta.app.storage.db.db), n)
    assert.ok(writes().length >= 1 && writes().length <= n / 10, `${writes().length} writes for ${n} rows`)
  })

  test(`[${backend.name}] the admin API writes this instance's buffered events before it reads them`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, {
      env: { ...ADMIN_ENV, ...OPEN, ...(await backend.env(t)) },
      otpEventLimits: HELD,
    })
    const writes = countWrites(t, ta.app.stores.stats)
    await signIn(ta, phone(1))
    assert.equal((await post(ta.app, SEND, { phone: phone(2) })).statusCode, 200)
    assert.deepEqual(writes(), [], 'held back')

    const usage = (await ta.app.inject({ method: 'GET', url: '/api/v1/admin/usage', headers: auth })).json()
    assert.equal(usage.totals.codes_sent, 2)
    assert.equal(usage.totals.codes_verified, 1)
    ta.app.otpEvents.record('sent', UZ, '127.0.0.1')
    const abuse = (await ta.app.inject({ method: 'GET', url: '/api/v1/admin/abuse', headers: auth })).json()
    assert.deepEqual(abuse.top_ips, [{ ip: '127.0.0.1', codes: 3, numbers: 3 }])
    assert.deepEqual(writes(), [3, 1], 'two writes: 3 rows, then 1')
  })

  test(`[${backend.name}] closing the app writes the events still buffered`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...OPEN, ...(await backend.env(t)) }, otpEventLimits: HELD })
    await signIn(ta, UZ.e164)
    await ta.app.close()

    const reopened = openDatabase(ta.config.database)
    t.after(() => reopened.close())
    const kinds = await reopened.db.selectFrom('otp_events').select('kind').orderBy('kind').execute()
    assert.deepEqual(
      kinds.map((r) => r.kind),
      ['sent', 'verified'],
    )
  })

  test(`[${backend.name}] statistics that cannot be written fail no sign-in: one warn line per failed write`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: { ...OPEN, ...(await backend.env(t)) }, otpEventLimits: HELD })
    // The table refuses every row rather than being dropped: a table dropped while another test file
    // migrates makes Kysely's introspection there fail (it lists the tables of every schema).
    const storage = ta.app.storage.db
    if (storage.kind === 'postgres')
      await sql`alter table otp_events add constraint refused check (false) not valid`.execute(storage.db)
    else
      await sql`create trigger otp_events_refused before insert on otp_events
        begin select raise(abort, 'statistics refused'); end`.execute(storage.db)
    const sent = await Promise.all([1, 2, 3, 4, 5].map((i) => post(ta.app, SEND, { phone: phone(i) })))
    assert.deepEqual(new Set(sent.map((r) => r.statusCode)), new Set([200]))
    const verified = await post(ta.app, VERIFY, { phone: phone(1), code: ta.sms.codeFor(phone(1)) })
    assert.equal(verified.statusCode, 200, verified.body)

    await ta.app.otpEvents.flush()
    const failed = ta.logs.lines.filter((l) => l.msg === FAILED)
    assert.equal(failed.length, 1)
    assert.equal(failed[0]?.level, 40)
    assert.equal(failed[0]?.count, 6)
    assert.ok(failed[0]?.err)
  })
}

test('a full batch is written at once, a partial one after the delay or on flush()', async (t) => {
  const { db, store, events } = await standalone(t)
  const writes = countWrites(t, store)
  const hourly = events(HELD)
  for (let i = 0; i < 1200; i++) hourly.record('sent', UZ, null)
  await hourly.flush()
  assert.equal(await rows(db), 1200)
  assert.deepEqual(writes(), [500, 500, 200])
  await hourly.close()

  const quick = events({ batchSize: 500, delayMs: 10, maxPending: 10_000 })
  for (let i = 0; i < 3; i++) quick.record('verified', UZ, '198.51.100.1')
  assert.ok(await eventually(async () => (await rows(db)) === 1203), 'written by the timer')
  assert.deepEqual(writes(), [500, 500, 200, 3])
  await quick.close()
})

test('a failed write logs one warn line for all its rows, drops them and never throws', async (t) => {
  const { warnings, events } = await standalone(t)
  const ev = events(HELD, {
    add: async () => {
      throw new Error('the database is down')
    },
  })
  for (let i = 0; i < 5; i++) ev.record('sent', UZ, null)
  await ev.flush()
  assert.equal(warnings.length, 1)
  assert.equal(warnings[0]?.msg, FAILED)
  assert.equal(warnings[0]?.count, 5)
  assert.ok(warnings[0]?.err instanceof Error)
  await ev.close()
  assert.equal(warnings.length, 1, 'not retried')
})

test('past the hard cap new rows are dropped and counted in one warn line', async (t) => {
  const { db, store, warnings, events } = await standalone(t)
  const writes = countWrites(t, store)
  const ev = events({ batchSize: 10, delayMs: 3_600_000, maxPending: 20 })
  // The 10th row starts a write; 20 more wait behind it; the last 5 find the buffer full.
  for (let i = 0; i < 35; i++) ev.record('sent', UZ, null)
  await ev.flush()
  assert.equal(await rows(db), 30)
  assert.deepEqual(writes(), [10, 10, 10])
  assert.deepEqual(warnings, [{ dropped: 5, msg: 'could not record 5 OTP events for the admin statistics' }])
  await ev.close()
})
