import assert from 'node:assert/strict'
import test from 'node:test'
import { migrator, openDatabase } from '../../src/db/index.js'
import { migrationProvider } from '../../src/db/migrations/index.js'
import { BACKENDS, tablesOf, testConfig } from '../helpers.js'

const NAME = '009_delivery_channels'

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] migration 009: rows from before it are SMS attempts; the waits table comes and goes`, {
    skip: backend.skip,
  }, async (t) => {
    const handle = openDatabase(testConfig(await backend.env(t)).database)
    t.after(() => handle.close())
    const names = Object.keys(await migrationProvider({ dialect: handle.kind }).getMigrations()).sort()
    const before = names[names.indexOf(NAME) - 1] as string
    const migrations = await migrator(handle)
    assert.equal((await migrations.migrateTo(before)).error, undefined)
    const now = Date.now()
    const row = {
      id: 'log-1',
      request_id: 'req-1',
      attempt: 1,
      phone: '+998901234567',
      country: 'UZ',
      operator: null,
      provider: 'eskiz',
      status: 'delivered' as const,
      created_at: now,
      updated_at: now,
    }
    // Written as the code before 009 wrote it: no channel, no fallback.
    await handle.db.insertInto('sms_log').values(row).execute()
    assert.equal((await migrations.migrateTo(NAME)).error, undefined)
    const after = await handle.db
      .selectFrom('sms_log')
      .select(['channel', 'fallback'])
      .executeTakeFirstOrThrow()
    assert.deepEqual({ ...after }, { channel: 'sms', fallback: null })
    assert.ok((await tablesOf(handle)).includes('sms_deliveries'))
    assert.equal((await migrations.migrateTo(before)).error, undefined)
    assert.ok(!(await tablesOf(handle)).includes('sms_deliveries'))
    assert.equal((await handle.db.selectFrom('sms_log').selectAll().execute()).length, 1)
  })
