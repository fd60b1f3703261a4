import assert from 'node:assert/strict'
import test from 'node:test'
import { sql } from 'kysely'
import { timeOrderedId } from '../../src/crypto.js'
import { buildTestApp, post, signIn } from '../helpers.js'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('a time-ordered id is a UUIDv7: its first 48 bits are the milliseconds it was made at', () => {
  const at = Date.UTC(2026, 10, 24, 12, 0, 0, 123)
  const id = timeOrderedId(at)
  assert.match(id, V7)
  assert.equal(Number.parseInt(id.replace('-', '').slice(0, 12), 16), at)
  assert.match(timeOrderedId(), V7)
})

test('time-ordered ids sort as they were made, and do not repeat', () => {
  const at = Date.UTC(2026, 10, 24)
  const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedId(at + Math.floor(i / 100)))
  for (let i = 100; i < ids.length; i += 100)
    assert.ok((ids[i - 1] as string) < (ids[i] as string), `${ids[i - 1]} sorts before ${ids[i]}`)
  assert.equal(new Set(ids).size, ids.length)
  // Within one millisecond the order is random; the 74 random bits keep ids apart.
  const sameMillisecond = Array.from({ length: 10_000 }, () => timeOrderedId(at))
  assert.equal(new Set(sameMillisecond).size, sameMillisecond.length)
})

test('the indexed keys that the hot paths insert are time-ordered, so each lands at the end of its index', async (t) => {
  const ta = await buildTestApp(t)
  const first = await signIn(ta, '+998901234567')
  await new Promise((r) => setTimeout(r, 2))
  await signIn(ta, '+998931234567')
  const refreshed = await post(ta.app, '/api/v1/auth/refresh', { refresh_token: first.refresh_token })
  assert.equal(refreshed.statusCode, 200)
  await ta.app.otpEvents.flush()

  const db = ta.app.storage.db.db
  // Each key column, in the order its rows were made.
  const column = async (table: 'sms_log' | 'otp_events' | 'refresh_tokens', name: string) =>
    (
      (await sql`select ${sql.ref(name)} as key from ${sql.table(table)} order by created_at`.execute(db))
        .rows as { key: string }[]
    ).map((r) => r.key)
  const keys = {
    'sms_log.id': await column('sms_log', 'id'),
    'sms_log.request_id': await column('sms_log', 'request_id'),
    'otp_events.id': await column('otp_events', 'id'),
    'refresh_tokens.id': await column('refresh_tokens', 'id'),
    'refresh_tokens.family_id': await column('refresh_tokens', 'family_id'),
  }
  for (const [name, values] of Object.entries(keys)) {
    assert.ok(values.length >= 2, `${name}: rows were written`)
    for (const key of values) assert.match(key, V7, name)
  }
  // The first sign-in's token, made milliseconds before the others, sorts before them; the refreshed
  // token keeps its family.
  const [firstToken, ...later] = keys['refresh_tokens.id']
  for (const key of later) assert.ok((firstToken as string) < key)
  const families = keys['refresh_tokens.family_id']
  assert.equal(families.at(-1), families[0])
})
