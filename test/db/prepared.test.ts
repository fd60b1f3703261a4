import assert from 'node:assert/strict'
import test, { type TestContext } from 'node:test'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import { openDatabase } from '../../src/db/index.js'
import { PreparedQuery } from '../../src/db/prepared.js'
import { BACKENDS } from '../helpers.js'

interface Tables {
  notes: { id: number; author: string; text: string; likes: number }
}

function open(t: TestContext): Kysely<Tables> {
  const raw = new SQLite(':memory:')
  raw.exec(
    'create table notes (id integer primary key, author text not null, text text not null, likes integer not null)',
  )
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) })
  t.after(() => db.destroy())
  return db
}

test('a prepared query runs with each call’s values: insert, select, update with returning, delete', async (t) => {
  const db = open(t)
  const insert = new PreparedQuery(db, (v: { id: number; author: string; text: string }) =>
    db.insertInto('notes').values({ id: v.id, author: v.author, text: v.text, likes: 0 }),
  )
  const byAuthor = new PreparedQuery(db, (v: { author: string }) =>
    db.selectFrom('notes').select(['id', 'text']).where('author', '=', v.author).orderBy('id'),
  )
  const like = new PreparedQuery(db, (v: { id: number; by: number }) =>
    db
      .updateTable('notes')
      .set((eb) => ({ likes: eb('likes', '+', v.by) }))
      .where('id', '=', v.id)
      .returning(['id', 'likes']),
  )
  const remove = new PreparedQuery(db, (v: { author: string }) =>
    db.deleteFrom('notes').where('author', '=', v.author),
  )

  await insert.execute({ id: 1, author: 'aziz', text: 'salom' })
  await insert.execute({ id: 2, author: 'dilnoza', text: 'privet' })
  await insert.execute({ id: 3, author: 'aziz', text: 'hello' })
  assert.deepEqual((await byAuthor.execute({ author: 'aziz' })).rows, [
    { id: 1, text: 'salom' },
    { id: 3, text: 'hello' },
  ])
  assert.deepEqual(await byAuthor.first({ author: 'dilnoza' }), { id: 2, text: 'privet' })
  assert.equal(await byAuthor.first({ author: 'nobody' }), undefined)
  assert.deepEqual(await like.first({ id: 3, by: 5 }), { id: 3, likes: 5 })
  assert.deepEqual(await like.first({ id: 3, by: 2 }), { id: 3, likes: 7 })
  assert.equal(await remove.changed({ author: 'aziz' }), 2)
  assert.equal(await remove.changed({ author: 'aziz' }), 0)
  // Values that look like SQL stay values.
  await insert.execute({ id: 4, author: "x'); drop table notes; --", text: '?' })
  assert.deepEqual(await byAuthor.first({ author: "x'); drop table notes; --" }), { id: 4, text: '?' })
})

test('the query is built and compiled once, however often it runs', async (t) => {
  const db = open(t)
  let builds = 0
  const count = new PreparedQuery(db, (v: { author: string }) => {
    builds++
    return db.selectFrom('notes').select('id').where('author', '=', v.author)
  })
  for (let i = 0; i < 5; i++) await count.execute({ author: `a${i}` })
  assert.equal(builds, 1)
})

test('it runs inside a transaction when given one, and is undone with it', async (t) => {
  const db = open(t)
  const insert = new PreparedQuery(db, (v: { id: number }) =>
    db.insertInto('notes').values({ id: v.id, author: 'a', text: 't', likes: 0 }),
  )
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await insert.execute({ id: 1 }, trx)
      assert.equal((await trx.selectFrom('notes').selectAll().execute()).length, 1)
      throw new Error('undo')
    }),
    /undo/,
  )
  assert.equal((await db.selectFrom('notes').selectAll().execute()).length, 0)
})

test('misuse is refused: a missing value, a spread of the stand-ins, a property of a stand-in', async (t) => {
  const db = open(t)
  const byAuthor = new PreparedQuery(db, (v: { author: string }) =>
    db.selectFrom('notes').select('id').where('author', '=', v.author),
  )
  await assert.rejects(byAuthor.execute({} as { author: string }), /no value for "author"/)
  assert.throws(
    () =>
      new PreparedQuery(db, (v: { id: number; author: string }) =>
        db.insertInto('notes').values({ ...v, text: 't', likes: 0 }),
      ),
    /a spread of the stand-ins/,
  )
  assert.throws(
    () =>
      new PreparedQuery(db, (v: { note: { author: string } }) =>
        db.selectFrom('notes').select('id').where('author', '=', v.note.author),
      ),
    /"note" is read but not a value of the query/,
  )
})

const postgres = BACKENDS.find((b) => b.name === 'postgres')

test('[postgres] a prepared query is planned once per connection, and survives a column added under it', {
  skip: postgres?.skip,
}, async (t) => {
  assert.ok(postgres)
  const { DATABASE_URL } = await postgres.env(t)
  assert.ok(DATABASE_URL)
  const handle = openDatabase({ kind: 'postgres', url: DATABASE_URL })
  t.after(() => handle.close())
  const db = handle.db as unknown as Kysely<Tables>
  await sql`create table notes (id integer primary key, author text not null, text text not null, likes integer not null)`.execute(
    db,
  )
  await db.insertInto('notes').values({ id: 1, author: 'aziz', text: 'salom', likes: 0 }).execute()
  const byAuthor = new PreparedQuery(db, (v: { author: string }) =>
    db.selectFrom('notes').selectAll().where('author', '=', v.author),
  )
  assert.equal((await byAuthor.first({ author: 'aziz' }))?.text, 'salom')
  // One query at a time: the pool hands out the one connection each time.
  const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)
  assert.deepEqual(
    prepared.rows.map((r) => r.statement),
    ['select * from "notes" where "author" = $1'],
  )
  // Another instance's migration: the rows change shape under the prepared statement.
  await sql`alter table notes add column mood text`.execute(db)
  assert.deepEqual(await byAuthor.first({ author: 'aziz' }), {
    id: 1,
    author: 'aziz',
    text: 'salom',
    likes: 0,
    mood: null,
  })
  assert.equal((await byAuthor.first({ author: 'aziz' }))?.text, 'salom')
})
