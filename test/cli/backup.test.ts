import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import Sqlite from 'better-sqlite3'
import { migrate, openDatabase } from '../../src/db/index.js'
import { cli, workspace } from './helpers.js'

test('backup copies the SQLite database while another connection keeps writing to it', async (t) => {
  const ws = workspace(t)
  const path = join(ws.dir, 'test.db')
  // The server's way of opening it: WAL, group commit, held open throughout.
  const handle = openDatabase({ kind: 'sqlite', path }, { groupCommit: true })
  t.after(() => handle.close())
  await migrate(handle)
  const insert = (phone: string) =>
    handle.db.insertInto('users').values({ phone, full_name: null, created_at: 1, updated_at: 1 }).execute()
  for (let i = 0; i < 50; i++) await insert(`+99890000${String(i).padStart(4, '0')}`)

  const target = join(ws.dir, 'copy.db')
  const done = await cli(['backup', target], { envFile: ws.envFile })
  assert.equal(done.code, 0, done.stderr)
  assert.match(done.stdout, /^✅ SQLite .*test\.db copied to .*copy\.db \(\d+ pages\)$/)
  await insert('+998901119999') // the service goes on writing after the copy

  const copy = new Sqlite(target, { readonly: true })
  t.after(() => copy.close())
  assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok')
  assert.equal((copy.prepare('select count(*) as n from users').get() as { n: number }).n, 50)

  const again = await cli(['backup', target], { envFile: ws.envFile })
  assert.equal(again.code, 1)
  assert.match(again.stderr, /already exists/)
})

test('backup on PostgreSQL names pg_dump instead', async (t) => {
  const ws = workspace(t, { DATABASE_URL: 'postgres://app:secret@db.internal:5432/royal' })
  const r = await cli(['backup', join(ws.dir, 'x.dump')], { envFile: ws.envFile })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /PostgreSQL db\.internal:5432\/royal is PostgreSQL: back it up with pg_dump/)
  assert.doesNotMatch(r.stderr, /secret/)
})
