import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { migrate, openDatabase } from '../../src/db/index.js'
import { BACKENDS } from '../helpers.js'
import { cli, workspace } from './helpers.js'

const PHONE = '+998901234567'

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  describe(backend.name, { skip: backend.skip }, () => {
    test('users delete: asks for the number again, deletes the account, masks the SMS log', async (t) => {
      const env = await backend.env(t)
      const ws = workspace(t, env)
      const run = (args: string[], answer?: string) =>
        cli(['users', 'delete', ...args], {
          envFile: ws.envFile,
          ...(answer !== undefined ? { answer } : {}),
        })
      const database = openDatabase(
        env.DATABASE_URL
          ? { kind: 'postgres', url: env.DATABASE_URL }
          : { kind: 'sqlite', path: join(ws.dir, 'test.db') },
      )
      t.after(() => database.close())
      await migrate(database)
      const now = Date.now()
      const { db } = database
      const user = await db
        .insertInto('users')
        .values({ phone: PHONE, full_name: null, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow()
      await db
        .insertInto('refresh_tokens')
        .values({
          id: 't1',
          user_id: user.id,
          family_id: 'f1',
          token_hash: 'h',
          created_at: now,
          expires_at: now + 60_000,
        })
        .execute()
      const userThere = async () => (await db.selectFrom('users').select('id').execute()).length === 1
      await database.db
        .insertInto('sms_log')
        .values({
          id: 'm1',
          request_id: 'r1',
          attempt: 1,
          phone: PHONE,
          country: 'UZ',
          provider: 'fake',
          status: 'sent',
          segments: 1,
          encoding: 'GSM-7',
          created_at: now,
          updated_at: now,
        } as never)
        .execute()

      assert.deepEqual(await run(['+998 90 000 00 00', '--yes']), {
        code: 1,
        stdout: '',
        stderr: 'royal-taxi: no account has the number +998900000000',
      })
      assert.match((await run([PHONE])).stderr, /add --yes/, 'no terminal, no --yes: refused')
      const declined = await run([PHONE], '+998901234560')
      assert.equal(declined.code, 1)
      assert.equal(declined.stderr, 'royal-taxi: not confirmed: nothing deleted')
      assert.ok(await userThere(), 'still there')

      const done = await run([PHONE], '998 90 123 45 67')
      assert.equal(done.code, 0, done.stderr)
      assert.match(done.stdout, /keeps the number as \+99890\*\*\*\*\*67/)
      assert.match(done.stdout, /Deleted the account of \+998901234567/)
      assert.equal(await userThere(), false)
      assert.deepEqual(await database.db.selectFrom('refresh_tokens').select('id').execute(), [])
      assert.deepEqual(await database.db.selectFrom('sms_log').select('phone').execute(), [
        { phone: '+99890*****67' },
      ])
    })
  })
