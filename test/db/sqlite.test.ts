import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type TestContext } from 'node:test'
import { setTimeout } from 'node:timers/promises'
import SQLite from 'better-sqlite3'
import { RateLimiterSQLite } from 'rate-limiter-flexible'
import { SqliteConnection } from '../../src/db/sqlite.js'

/** A file database opened twice: through the service's connection, and plainly, as another process would. */
function open(t: TestContext, groupCommit = true) {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-sqlite-'))
  const file = join(dir, 'db.sqlite')
  const conn = new SqliteConnection(file, { groupCommit })
  conn.db.exec(`create table notes (id integer primary key, text text not null);
    create table parent (id integer primary key);
    create table child (parent_id integer references parent(id) deferrable initially deferred);`)
  const other = new SQLite(file, { readonly: true })
  t.after(async () => {
    other.close()
    if (conn.db.open) await conn.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const insert = (text: string) => conn.prepare('insert into notes (text) values (?)').run(text)
  const mine = () =>
    (conn.prepare('select text from notes order by id').all() as { text: string }[]).map((r) => r.text)
  const seen = () =>
    (other.prepare('select text from notes order by id').all() as { text: string }[]).map((r) => r.text)
  return { conn, insert, mine, seen, file }
}

test('the writes of one turn commit together; each resolves only once committed', async (t) => {
  const { conn, insert, mine, seen } = open(t)
  const a = conn.write(() => insert('a'))
  const b = conn.write(() => insert('b'))
  assert.deepEqual(mine(), ['a', 'b'], 'reads on the connection see them at once')
  assert.deepEqual(seen(), [], 'another connection sees nothing before the commit')
  await Promise.all([a, b])
  assert.deepEqual(seen(), ['a', 'b'], 'committed when the writes resolve')
})

test('a write that throws is undone alone; the rest of its batch commits', async (t) => {
  const { conn, insert, seen } = open(t)
  const kept = conn.write(() => insert('kept'))
  await assert.rejects(
    conn.write(() => {
      insert('undone')
      throw new Error('changed my mind')
    }),
    /changed my mind/,
  )
  await kept
  assert.deepEqual(seen(), ['kept'])
})

test('a commit that fails rejects every write of its batch, and the next batch works', async (t) => {
  const { conn, insert, mine, seen } = open(t)
  const lost = conn.write(() => insert('lost'))
  // A deferred foreign key is checked at COMMIT: this makes the commit itself fail.
  const failing = conn.write(() => conn.prepare('insert into child (parent_id) values (42)').run())
  await assert.rejects(lost, /FOREIGN KEY/)
  await assert.rejects(failing, /FOREIGN KEY/)
  assert.deepEqual(seen(), [])
  assert.deepEqual(mine(), [], 'rolled back on this connection too')
  await conn.write(() => insert('next'))
  assert.deepEqual(seen(), ['next'])
})

test('closing commits what is pending', async (t) => {
  const { conn, insert, file } = open(t)
  void conn.write(() => insert('kept'))
  await conn.close()
  const reopened = new SQLite(file)
  assert.deepEqual(reopened.prepare('select text from notes').all(), [{ text: 'kept' }])
  reopened.close()
})

test('without group commit (the CLI) every write is visible to other connections at once', async (t) => {
  const { conn, insert, seen } = open(t, false)
  const written = conn.write(() => insert('now'))
  assert.deepEqual(seen(), ['now'])
  await written
})

test("rate-limiter-flexible's counters join the turn's batch through limiterClient()", async (t) => {
  const { conn, insert, seen } = open(t)
  const limiter = await new Promise<RateLimiterSQLite>((resolve, reject) => {
    const l: RateLimiterSQLite = new RateLimiterSQLite(
      {
        storeClient: conn.limiterClient(),
        storeType: 'better-sqlite3',
        tableName: 'rl',
        points: 5,
        duration: 60,
      },
      (err?: unknown) => (err ? reject(err) : resolve(l)),
    )
  })
  const note = conn.write(() => insert('with a counter'))
  await limiter.consume('k')
  const other = new SQLite(join(conn.db.name, '..', 'db.sqlite'), { readonly: true })
  t.after(() => other.close())
  assert.equal(
    (other.prepare('select count(*) as n from rl').get() as { n: number }).n,
    0,
    'inside the open batch',
  )
  await note
  assert.equal((other.prepare('select points from rl').get() as { points: number }).points, 1)
  assert.deepEqual(seen(), ['with a counter'])
})

test('every transaction rate-limiter-flexible opens is a single statement (why limiterClient() needs no savepoint)', async (t) => {
  const { conn } = open(t)
  const inner = conn.limiterClient()
  let depth = 0
  let executed = 0
  const perTransaction: number[] = []
  const counting = {
    prepare(sqlText: string) {
      const statement = inner.prepare(sqlText)
      const count =
        (method: 'run' | 'get' | 'all') =>
        (...args: unknown[]) => {
          if (depth > 0) executed++
          return (statement[method] as (...a: unknown[]) => unknown)(...args)
        }
      return { run: count('run'), get: count('get'), all: count('all') }
    },
    transaction:
      (fn: (...args: unknown[]) => unknown) =>
      (...args: unknown[]) => {
        depth++
        executed = 0
        try {
          return fn(...args)
        } finally {
          depth--
          perTransaction.push(executed)
        }
      },
  }
  const limiter = await new Promise<RateLimiterSQLite>((resolve, reject) => {
    const l: RateLimiterSQLite = new RateLimiterSQLite(
      { storeClient: counting, storeType: 'better-sqlite3', tableName: 'rl2', points: 5, duration: 60 },
      (err?: unknown) => (err ? reject(err) : resolve(l)),
    )
  })
  const key = '+998901234567'
  await limiter.consume(key)
  await limiter.consume(key, 2)
  await limiter.penalty(key, 1)
  await limiter.reward(key, 1)
  await limiter.get(key)
  await limiter.set(key, 3, 60)
  await limiter.block(key, 60)
  await limiter.delete(key)
  await assert.rejects(
    (async () => {
      for (let i = 0; i < 7; i++) await limiter.consume('+998901234568')
    })(),
  )
  assert.ok(perTransaction.length >= 6, `transactions seen: ${perTransaction.length}`)
  assert.deepEqual(
    perTransaction.filter((n) => n !== 1),
    [],
    `statements per transaction: ${perTransaction.join(', ')}`,
  )
})

test('run() commits one statement with the batch; a failing one rejects alone', async (t) => {
  const { conn, seen } = open(t)
  const kept = conn.run('insert into notes (text) values (?)', 'kept')
  await assert.rejects(conn.run('insert into notes (text) values (?)', null), /NOT NULL/)
  assert.equal((await kept).changes, 1)
  assert.deepEqual(seen(), ['kept'])
})

test("the server's connection copies its log into the file on a thread of its own, and leaves no log when closed", async (t) => {
  const { conn, insert, file } = open(t)
  await conn.write(() => insert('first'))
  const before = statSync(file).size
  await conn.write(() => {
    for (let i = 0; i < 500; i++) insert(`note ${i} ${'x'.repeat(200)}`)
  })
  // Far below the connection's own checkpoint size: only the thread (a pass every 50 ms) copies these pages.
  for (let waited = 0; statSync(file).size === before && waited < 5000; waited += 50) await setTimeout(50)
  assert.ok(statSync(file).size > before, 'the log was copied into the database file')
  await conn.close()
  assert.equal(existsSync(`${file}-wal`), false, 'the last connection to close removed the log')
})

test("the CLI's connection starts no checkpoint thread", async (t) => {
  const { conn, insert, file } = open(t, false)
  const before = statSync(file).size
  for (let i = 0; i < 200; i++) await conn.write(() => insert(`note ${i} ${'x'.repeat(200)}`))
  await setTimeout(300)
  assert.equal(statSync(file).size, before, 'nothing copied the log yet')
})
