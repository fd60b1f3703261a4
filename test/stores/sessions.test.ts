import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { timeOrderedId, timeOrderedIdFloor } from '../../src/crypto.js'
import type { DatabaseHandle } from '../../src/db/index.js'
import type { App, FirstToken } from '../../src/stores/sessions/index.js'
import { PostgresSessionStore } from '../../src/stores/sessions/postgres.js'
import { ENGINES } from './engines.js'

const PHONE = '+998901112233'
const DAY = 24 * 3600 * 1000

/** A token's row values as the service makes them; the hash only has to be unique here. */
function token(now = Date.now(), lifetime = 30 * DAY, app: App = 'passenger'): FirstToken {
  const id = timeOrderedId(now)
  return {
    id,
    hash: `hash-${id}`,
    familyId: `family-${id}`,
    app,
    device: { name: 'Test phone', platform: 'android' },
    createdAt: now,
    expiresAt: now + lifetime,
  }
}

const tokens = (database: DatabaseHandle) =>
  database.db.selectFrom('refresh_tokens').selectAll().orderBy('id').execute()

/** Makes every insert into refresh_tokens fail, as a full disk or a broken constraint would. */
async function failTokenInserts(database: DatabaseHandle): Promise<void> {
  if (database.kind === 'sqlite')
    database.sqlite.db.exec(
      "create trigger no_tokens before insert on refresh_tokens begin select raise(abort, 'no room'); end",
    )
  else
    await database.pool.query(`
      create function no_tokens() returns trigger language plpgsql as $$ begin raise exception 'no room'; end $$;
      create trigger no_tokens before insert on refresh_tokens for each row execute function no_tokens();`)
}

// The same tests on every SQL engine (Redis holds no sessions).
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    const open = async (t: TestContext) => {
      const { stores, database } = await engine.open(t)
      return { sessions: stores.sessions, database }
    }

    test('a sign-in creates the user once and stores a token in a new family each time', async (t) => {
      const { sessions, database } = await open(t)
      const first = token()
      const a = await sessions.signIn(PHONE, first)
      assert.equal(a.isNew, true)
      assert.equal(a.user.phone, PHONE)
      assert.equal(a.user.full_name, null)
      assert.equal(a.user.created_at, first.createdAt)
      const b = await sessions.signIn(PHONE, token())
      assert.equal(b.isNew, false)
      assert.deepEqual(b.user, a.user)
      assert.deepEqual(await sessions.user(a.user.id), a.user)
      const rows = await tokens(database)
      assert.equal(rows.length, 2)
      assert.deepEqual(
        { ...rows[0] },
        {
          id: first.id,
          user_id: a.user.id,
          family_id: first.familyId,
          token_hash: first.hash,
          created_at: first.createdAt,
          expires_at: first.expiresAt,
          rotated_at: null,
          revoked_at: null,
          app: 'passenger',
          device_name: 'Test phone',
          platform: 'android',
          country: null,
          started_at: first.createdAt,
        },
      )
      assert.equal(await sessions.user(a.user.id + 1000), undefined)
    })

    test('concurrent first sign-ins of one number: one user, one of them new, every token kept', async (t) => {
      const { sessions, database } = await open(t)
      const results = await Promise.all(Array.from({ length: 8 }, () => sessions.signIn(PHONE, token())))
      assert.equal(new Set(results.map((r) => r.user.id)).size, 1)
      assert.equal(results.filter((r) => r.isNew).length, 1)
      assert.equal((await tokens(database)).length, 8)
    })

    test('rotate: a live token once, into its family; not a wrong hash, a rotated, revoked or expired one', async (t) => {
      const { sessions, database } = await open(t)
      const first = token()
      const { user } = await sessions.signIn(PHONE, first)
      const presented = { id: first.id, hash: first.hash }
      assert.equal(await sessions.rotate({ id: first.id, hash: 'forged' }, token()), null, 'wrong hash')
      assert.equal((await sessions.token(first.id))?.rotated_at, null, 'the forgery changes nothing')

      const next = token()
      assert.deepEqual(await sessions.rotate(presented, next), {
        userId: user.id,
        familyId: first.familyId,
        app: 'passenger',
        phone: PHONE,
      })
      assert.equal((await sessions.token(first.id))?.rotated_at, next.createdAt)
      const successor = await sessions.token(next.id)
      assert.equal(successor?.family_id, first.familyId)
      assert.equal(successor?.token_hash, next.hash)
      assert.equal(successor?.user_id, user.id)
      assert.equal(await sessions.rotate(presented, token()), null, 'rotated already')

      await sessions.revokeFamily(user.id, first.familyId, Date.now())
      assert.equal(await sessions.rotate({ id: next.id, hash: next.hash }, token()), null, 'revoked')

      const short = token(Date.now(), 1000)
      await sessions.signIn(PHONE, short)
      assert.equal(await sessions.rotate({ id: short.id, hash: short.hash }, token(Date.now() + 1000)), null)
      assert.equal((await tokens(database)).length, 3, 'no successor for any refused rotation')
      assert.equal(await sessions.token('no-such-id'), undefined)
    })

    test('concurrent rotations of one token: exactly one successor', async (t) => {
      const { sessions, database } = await open(t)
      const first = token()
      await sessions.signIn(PHONE, first)
      const presented = { id: first.id, hash: first.hash }
      const results = await Promise.all(Array.from({ length: 10 }, () => sessions.rotate(presented, token())))
      assert.equal(results.filter((r) => r !== null).length, 1)
      assert.equal((await tokens(database)).length, 2)
    })

    test('rotations of different tokens at once: each its own successor, in its own family', async (t) => {
      const { sessions, database } = await open(t)
      const firsts = Array.from({ length: 5 }, () => token())
      const signedIn = await Promise.all(
        firsts.map((f, i) => sessions.signIn(`${PHONE.slice(0, -1)}${i}`, f)),
      )
      // A forged secret for the first token's id in the same moment must not take its place.
      const forged = sessions.rotate({ id: firsts[0]?.id ?? '', hash: 'forged' }, token())
      const results = await Promise.all(
        firsts.map((f) => sessions.rotate({ id: f.id, hash: f.hash }, token())),
      )
      assert.equal(await forged, null)
      assert.deepEqual(
        results,
        firsts.map((f, i) => ({
          userId: signedIn[i]?.user.id,
          familyId: f.familyId,
          app: 'passenger',
          phone: signedIn[i]?.user.phone,
        })),
      )
      assert.equal((await tokens(database)).length, 10)
    })

    test('a session keeps its app through rotations; revoking an app leaves the other app and numbers alone', async (t) => {
      const { sessions, database } = await open(t)
      const driver = token(Date.now(), 30 * DAY, 'driver')
      const passenger = token()
      const other = token(Date.now(), 30 * DAY, 'driver')
      await sessions.signIn(PHONE, driver)
      await sessions.signIn(PHONE, passenger)
      await sessions.signIn('+998901112200', other)
      const next = token()
      assert.equal((await sessions.rotate({ id: driver.id, hash: driver.hash }, next))?.app, 'driver')
      assert.equal((await sessions.token(next.id))?.app, 'driver', 'the successor is the same app’s')
      assert.equal(await sessions.revokeApp(PHONE, 'driver', 4321), 2)
      const revoked = (await tokens(database)).filter((r) => r.revoked_at === 4321).map((r) => r.id)
      assert.deepEqual(revoked.sort(), [driver.id, next.id].sort())
      assert.equal(await sessions.revokeApp('+998909999999', 'driver', 4321), 0, 'an unknown number')
    })

    test('sessions: one per live family, newest use first; a new number ends the others; a taken one changes nothing', async (t) => {
      const { sessions } = await open(t)
      const now = Date.now()
      const a = token(now - 2000)
      const b = { ...token(now - 1000), country: 'UZ' }
      const { user } = await sessions.signIn(PHONE, a)
      await sessions.signIn(PHONE, b)
      const next = { ...token(now), country: null }
      await sessions.rotate({ id: a.id, hash: a.hash }, next)
      const listed = await sessions.sessions(user.id, now)
      assert.deepEqual(
        listed.map((s) => [s.id, s.lastUsedAt, s.startedAt, s.country, s.deviceName]),
        [
          [a.familyId, now, now - 2000, null, 'Test phone'],
          [b.familyId, now - 1000, now - 1000, 'UZ', 'Test phone'],
        ],
      )
      await sessions.signIn('+998901112200', token())
      assert.equal(await sessions.changePhone(user.id, '+998901112200', a.familyId, now), 'taken')
      assert.equal((await sessions.sessions(user.id, now)).length, 2, 'nothing ended')
      assert.equal((await sessions.user(user.id))?.phone, PHONE, 'nothing moved')
      assert.equal(await sessions.changePhone(user.id, '+998977777777', a.familyId, now), 'changed')
      assert.deepEqual(
        (await sessions.sessions(user.id, now)).map((s) => s.id),
        [a.familyId],
      )
      assert.equal((await sessions.userByPhone('+998977777777'))?.id, user.id)
      assert.equal(await sessions.changePhone(424242, '+998977777778', a.familyId, now), 'gone')
      assert.equal(await sessions.revokeAll(user.id, null, now), 2, 'the live token and the one it replaced')
      assert.deepEqual(await sessions.sessions(user.id, now), [])
    })

    test('deleting a user takes its tokens, masks its number in the SMS log and statistics, forgets its codes', async (t) => {
      const { sessions, database } = await open(t)
      const { user } = await sessions.signIn(PHONE, token())
      const now = Date.now()
      const { db } = database
      await db
        .insertInto('otp_events')
        .values({ id: 'e1', kind: 'sent', phone: PHONE, country: 'UZ', ip: null, created_at: now })
        .execute()
      await db
        .insertInto('otp_codes')
        .values({
          phone: PHONE,
          id: 'c1',
          code_hash: 'h',
          attempts: 0,
          created_at: now,
          expires_at: now + 1000,
        })
        .execute()
      assert.equal(await sessions.deleteUser(user.id, '+99890*****33'), true)
      assert.equal(await sessions.user(user.id), undefined)
      assert.deepEqual(await tokens(database), [])
      assert.deepEqual(await db.selectFrom('otp_events').select('phone').execute(), [
        { phone: '+99890*****33' },
      ])
      assert.deepEqual(await db.selectFrom('otp_codes').select('phone').execute(), [])
      assert.equal(await sessions.deleteUser(user.id, '+99890*****33'), false, 'gone already')
    })

    test('revoking a family leaves the user’s other families alone', async (t) => {
      const { sessions, database } = await open(t)
      const a = token()
      const b = token()
      const { user } = await sessions.signIn(PHONE, a)
      await sessions.signIn(PHONE, b)
      await sessions.rotate({ id: a.id, hash: a.hash }, token())
      await sessions.revokeFamily(user.id, a.familyId, 1234)
      const rows = await tokens(database)
      assert.deepEqual(
        rows.map((r) => [r.family_id, r.revoked_at]).sort(),
        [
          [a.familyId, 1234],
          [a.familyId, 1234],
          [b.familyId, null],
        ].sort(),
      )
      await sessions.revokeFamily(user.id, a.familyId, 5678)
      assert.ok(
        (await tokens(database)).every((r) => r.revoked_at !== 5678),
        'revoked once',
      )
    })

    test('updateUser changes the name and the update time; an unknown user is undefined', async (t) => {
      const { sessions } = await open(t)
      const { user } = await sessions.signIn(PHONE, token())
      const updated = await sessions.updateUser(user.id, { full_name: 'Aziz Karimov' }, user.created_at + 5)
      assert.deepEqual(updated, { ...user, full_name: 'Aziz Karimov', updated_at: user.created_at + 5 })
      assert.deepEqual(await sessions.user(user.id), updated)
      assert.equal(await sessions.updateUser(user.id + 1000, { full_name: null }, 1), undefined)
    })

    test('sweep removes, a chunk at a time, only tokens made and expired before the bounds', async (t) => {
      const { sessions, database } = await open(t)
      const now = Date.now()
      const { user } = await sessions.signIn(PHONE, token(now))
      const old = Array.from({ length: 7 }, (_, i) => {
        const at = now - 100 * DAY - i
        return { ...token(at), user_id: user.id }
      })
      const row = (k: (typeof old)[number]) => ({
        id: k.id,
        user_id: k.user_id,
        family_id: k.familyId,
        token_hash: k.hash,
        created_at: k.createdAt,
        expires_at: k.expiresAt,
        rotated_at: null,
        revoked_at: null,
      })
      await database.db.insertInto('refresh_tokens').values(old.map(row)).execute()
      // Made long ago, but with a lifetime that keeps it live: not removed.
      const longLived = { ...token(now - 100 * DAY - 50, 200 * DAY), user_id: user.id }
      await database.db.insertInto('refresh_tokens').values(row(longLived)).execute()
      const madeBefore = timeOrderedIdFloor(now - 50 * DAY)
      const expiredBefore = now - 50 * DAY
      assert.equal(await sessions.sweep(madeBefore, expiredBefore, 5), 5)
      assert.equal(await sessions.sweep(madeBefore, expiredBefore, 5), 2)
      assert.equal(await sessions.sweep(madeBefore, expiredBefore, 5), 0)
      const left = (await tokens(database)).map((r) => r.id).sort()
      assert.equal(left.length, 2)
      assert.ok(left.includes(longLived.id))
    })

    test('a sign-in or rotation that fails leaves nothing half-written', async (t) => {
      const { sessions, database } = await open(t)
      const first = token()
      await sessions.signIn('+998901112266', first)
      await failTokenInserts(database)

      await assert.rejects(sessions.signIn(PHONE, token()), /no room/)
      const users = await database.db.selectFrom('users').select('phone').execute()
      assert.deepEqual(users, [{ phone: '+998901112266' }], "the failed sign-in's user is undone with it")

      await assert.rejects(sessions.rotate({ id: first.id, hash: first.hash }, token()), /no room/)
      const row = await sessions.token(first.id)
      assert.equal(
        row?.rotated_at,
        null,
        'the rotation is undone with its successor: the token is still live',
      )
    })

    test('a batch of rotations aborted for a deadlock is written one rotation at a time', {
      skip: engine.name !== 'postgres' && 'a PostgreSQL batch',
    }, async (t) => {
      const { database } = await engine.open(t)
      if (database.kind !== 'postgres') return
      let aborted = 0
      // The pool as the store sees it, with PostgreSQL's deadlock error for the first batch of two or more.
      const pool = new Proxy(database.pool, {
        get(target, key, receiver) {
          if (key !== 'query') return Reflect.get(target, key, receiver)
          return (query: { values?: unknown[] }) => {
            const first = query.values?.[0]
            if (aborted === 0 && Array.isArray(first) && first.length > 1) {
              aborted++
              return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }))
            }
            return target.query(query as never)
          }
        },
      })
      const sessions = new PostgresSessionStore(pool)
      const firsts = [token(), token()]
      await sessions.signIn(PHONE, firsts[0] as FirstToken)
      await sessions.signIn(PHONE, firsts[1] as FirstToken)
      const results = await Promise.all(
        firsts.map((f) => sessions.rotate({ id: f.id, hash: f.hash }, token())),
      )
      assert.equal(aborted, 1)
      assert.deepEqual(
        results.map((r) => r?.familyId),
        firsts.map((f) => f.familyId),
      )
    })
  })
