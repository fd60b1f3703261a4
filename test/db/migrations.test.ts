import assert from 'node:assert/strict'
import test from 'node:test'
import { sql } from 'kysely'
import { deriveKey, hmac, timeOrderedId } from '../../src/crypto.js'
import { type DatabaseHandle, migrate, migrationStatus, migrator, openDatabase } from '../../src/db/index.js'
import { BACKENDS, indexesOf, SECRET, tablesOf, testConfig } from '../helpers.js'

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] migration 005 keeps the refresh tokens issued before it, drops the unique index on their hashes, and goes back down`, {
    skip: backend.skip,
  }, async (t) => {
    const handle = openDatabase(testConfig(await backend.env(t)).database)
    t.after(() => handle.close())
    const migrations = await migrator(handle)
    assert.equal((await migrations.migrateTo('004_otp_events')).error, undefined)
    const db = handle.db
    const now = Date.now()
    const user = await db
      .insertInto('users')
      .values({ phone: '+998901234567', full_name: null, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    // A token as issued before 005: opaque, found by its HMAC.
    const legacy = 'an-opaque-token-of-before'
    const row = {
      id: timeOrderedId(),
      user_id: user.id,
      family_id: timeOrderedId(),
      token_hash: hmac(deriveKey(SECRET, 'refresh-token'), legacy),
      created_at: now,
      expires_at: now + 86_400_000,
      rotated_at: null,
      revoked_at: null,
    }
    await db.insertInto('refresh_tokens').values(row).execute()

    assert.equal((await migrations.migrateToLatest()).error, undefined)
    // Migration 011 makes every session from before it the passenger app's, on a device unknown, started
    // when its live token was made.
    const session = { app: 'passenger', device_name: null, platform: null, country: null, started_at: now }
    assert.deepEqual(await db.selectFrom('refresh_tokens').selectAll().execute(), [{ ...row, ...session }])
    // Two rows with one hash can exist now (the id is what is unique), and a user's deletion takes its
    // tokens along still.
    await db
      .insertInto('refresh_tokens')
      .values({ ...row, id: timeOrderedId() })
      .execute()
    await db.deleteFrom('refresh_tokens').where('id', '!=', row.id).execute()

    assert.equal((await migrations.migrateTo('004_otp_events')).error, undefined)
    assert.deepEqual(await db.selectFrom('refresh_tokens').selectAll().execute(), [row])
    await assert.rejects(
      db
        .insertInto('refresh_tokens')
        .values({ ...row, id: timeOrderedId() })
        .execute(),
      /unique|UNIQUE/,
    )
    assert.equal((await migrations.migrateToLatest()).error, undefined)
    await db.deleteFrom('users').execute()
    assert.deepEqual(await db.selectFrom('refresh_tokens').selectAll().execute(), [])
  })

const postgres = BACKENDS.find((b) => b.name === 'postgres')
test('[postgres] migration 005 keeps a (user, family) index built beforehand, concurrently, as its comment advises', {
  skip: postgres?.skip ?? true,
}, async (t) => {
  const handle = openDatabase(testConfig(await postgres?.env(t)).database)
  t.after(() => handle.close())
  const migrations = await migrator(handle)
  assert.equal((await migrations.migrateTo('004_otp_events')).error, undefined)
  await sql`create index concurrently refresh_tokens_user_family on refresh_tokens (user_id, family_id)`.execute(
    handle.db,
  )
  assert.equal((await migrations.migrateToLatest()).error, undefined)
  assert.deepEqual(await indexesOf(handle, 'refresh_tokens'), [
    'refresh_tokens_pkey',
    'refresh_tokens_user_family',
  ])
})

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] migration 006 moves the running windows of the per-number limits into one table, and back down`, {
    skip: backend.skip,
  }, async (t) => {
    const handle = openDatabase(testConfig(await backend.env(t)).database)
    t.after(() => handle.close())
    const migrations = await migrator(handle)
    assert.equal((await migrations.migrateTo('005_refresh_tokens_split')).error, undefined)
    const db = handle.db
    const now = Date.now()
    // The tables as rate-limiter-flexible made them before (the cooldown's absent: OTP_RESEND_SECONDS=0).
    for (const limit of ['otp_number_hour', 'otp_number_day', 'otp_verify_failed', 'otp_ip']) {
      const table = sql.table(`rate_limit_${limit}`)
      await sql`create table ${table} (key varchar(255) primary key, points integer not null default 0, expire bigint)`.execute(
        db,
      )
      await sql`insert into ${table} values ('+998901234567', 2, ${now + 60_000}), ('+998911234567', 1, ${now - 1})`.execute(
        db,
      )
    }
    const rows = async (table: string) =>
      (
        await sql<{
          key: string
          points: number
        }>`select key, points from ${sql.table(table)} order by key`.execute(db)
      ).rows.map((r) => `${r.key} ${r.points}`)

    // To 006 only: 007 reorders the keys (test/stores/limits.test.ts).
    assert.equal((await migrations.migrateTo('006_number_limits')).error, undefined)
    assert.deepEqual(await rows('rate_limit_number'), [
      '+998901234567:otp_number_day 2',
      '+998901234567:otp_number_hour 2',
      '+998901234567:otp_verify_failed 2',
    ])
    const limitTables = async () => (await tablesOf(handle)).filter((n) => n.startsWith('rate_limit_'))
    assert.deepEqual(await limitTables(), ['rate_limit_number', 'rate_limit_otp_ip'])
    assert.deepEqual(
      await rows('rate_limit_otp_ip'),
      ['+998901234567 2', '+998911234567 1'],
      'not a per-number limit',
    )

    assert.equal((await migrations.migrateTo('005_refresh_tokens_split')).error, undefined)
    assert.deepEqual(await limitTables(), [
      'rate_limit_otp_ip',
      'rate_limit_otp_number_day',
      'rate_limit_otp_number_hour',
      'rate_limit_otp_resend',
      'rate_limit_otp_verify_failed',
    ])
    assert.deepEqual(await rows('rate_limit_otp_number_hour'), ['+998901234567 2'])
    assert.deepEqual(await rows('rate_limit_otp_resend'), [])
    assert.equal((await migrations.migrateToLatest()).error, undefined)
    assert.equal((await rows('rate_limit_number')).length, 3)
  })

/**
 * `handle` with a database whose catalog listing (Kysely's introspection, which its migrator reads) fails
 * with `failures`, one per call, before it answers as usual; `calls` counts the listings.
 */
function failingCatalog(handle: DatabaseHandle, failures: Error[]) {
  const counter = { calls: 0 }
  const db = new Proxy(handle.db, {
    get(target, prop) {
      if (prop === 'introspection') {
        const real = target.introspection
        return {
          getSchemas: () => real.getSchemas(),
          getMetadata: (options?: Parameters<typeof real.getMetadata>[0]) => real.getMetadata(options),
          getTables: async (options?: Parameters<typeof real.getTables>[0]) => {
            counter.calls++
            const failure = failures.shift()
            if (failure) throw failure
            return real.getTables(options)
          },
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { handle: { ...handle, db } as DatabaseHandle, counter }
}

/** An error as pg reports it, with its SQLSTATE. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code })

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] migrating tries again when a table or schema of another deployment vanished while the catalog was listed, and only then`, {
    skip: backend.skip,
  }, async (t) => {
    const opened = openDatabase(testConfig(await backend.env(t)).database)
    t.after(() => opened.close())
    const vanished = () => pgError('42P01', 'relation "test_other.otp_events" does not exist')

    // A table (then a schema) dropped elsewhere mid-listing: the migration goes through on a later try.
    const racing = failingCatalog(opened, [
      vanished(),
      pgError('3F000', 'schema "test_other" does not exist'),
    ])
    const applied = await migrate(racing.handle)
    assert.ok(applied.length > 0)
    assert.ok(racing.counter.calls > 2)
    assert.ok((await tablesOf(opened)).includes('otp_codes'))
    const status = failingCatalog(opened, [vanished()])
    assert.ok((await migrationStatus(status.handle)).every((m) => m.appliedAt !== null))

    // Any other failure is the migration's own: reported at once, not tried again.
    const denied = failingCatalog(opened, [pgError('42501', 'permission denied for schema public')])
    await assert.rejects(migrate(denied.handle), /permission denied/)
    assert.equal(denied.counter.calls, 1)
    // And a catalog that keeps changing is given up on after three tries.
    const endless = failingCatalog(opened, [vanished(), vanished(), vanished(), vanished()])
    await assert.rejects(migrate(endless.handle), /does not exist/)
    assert.equal(endless.counter.calls, 3)
  })
