import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { timeOrderedId } from '../../src/crypto.js'
import type { DatabaseHandle } from '../../src/db/index.js'
import type { NewPasskey } from '../../src/stores/passkeys/index.js'
import { ENGINES } from './engines.js'

const MINUTE = 60_000

async function user(database: DatabaseHandle, phone: string): Promise<number> {
  const now = Date.now()
  const row = await database.db
    .insertInto('users')
    .values({ phone, full_name: null, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** A passkey as registration would hand it over: the store neither makes nor checks keys, so any bytes do. */
const passkey = (userId: number, name = 'Chrome on Linux'): NewPasskey => ({
  id: timeOrderedId(),
  userId,
  credentialId: randomBytes(16).toString('base64url'),
  publicKey: randomBytes(77).toString('base64url'),
  counter: 0,
  transports: ['internal', 'hybrid'],
  userHandle: randomBytes(32).toString('base64url'),
  deviceType: 'multiDevice',
  backedUp: true,
  aaguid: '00000000-0000-0000-0000-000000000000',
  name,
})

// Passkeys live in the SQL database (the Redis engine keeps them in SQLite, like the SQLite one).
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(`passkeys on ${engine.name}`, { skip: engine.skip }, () => {
    test('a passkey is stored as given, listed newest first, found by its credential id', async (t) => {
      const { stores, database } = await engine.open(t)
      const alice = await user(database, '+998901234567')
      const now = Date.now()
      const [a, b] = [passkey(alice, 'Pixel 8'), passkey(alice, 'iPhone')]
      assert.equal(await stores.passkeys.add(a, 20, now - MINUTE), null)
      assert.equal(await stores.passkeys.add(b, 20, now), null)
      const rows = await stores.passkeys.list(alice)
      assert.deepEqual(
        rows.map((r) => [r.id, r.name, r.created_at, r.last_used_at]),
        [
          [b.id, 'iPhone', now, null],
          [a.id, 'Pixel 8', now - MINUTE, null],
        ],
      )
      assert.deepEqual(await stores.passkeys.byCredential(a.credentialId), {
        id: a.id,
        user_id: alice,
        credential_id: a.credentialId,
        public_key: a.publicKey,
        counter: 0,
        transports: '["internal","hybrid"]',
        user_handle: a.userHandle,
        device_type: 'multiDevice',
        backed_up: 1,
        aaguid: a.aaguid,
        name: 'Pixel 8',
        created_at: now - MINUTE,
        last_used_at: null,
      })
      assert.equal(await stores.passkeys.byCredential('unknown'), null)
    })

    test('`add` refuses a registered credential (anyone’s), a user at the limit, and a user who is gone', async (t) => {
      const { stores, database } = await engine.open(t)
      const [alice, bob] = [await user(database, '+998901234567'), await user(database, '+998931112233')]
      const now = Date.now()
      const a = passkey(alice)
      assert.equal(await stores.passkeys.add(a, 2, now), null)
      assert.equal(
        await stores.passkeys.add({ ...passkey(bob), credentialId: a.credentialId }, 2, now),
        'duplicate',
      )
      assert.equal(await stores.passkeys.add(passkey(alice), 2, now), null)
      assert.equal(await stores.passkeys.add(passkey(alice), 2, now), 'full')
      assert.equal(await stores.passkeys.add(passkey(9999), 2, now), 'no_user')
      assert.equal((await stores.passkeys.list(alice)).length, 2)
      assert.equal((await stores.passkeys.list(bob)).length, 0)
    })

    test('registrations racing at the limit leave exactly the limit', async (t) => {
      const { stores, database } = await engine.open(t)
      const alice = await user(database, '+998901234567')
      const results = await Promise.all(
        Array.from({ length: 8 }, () => stores.passkeys.add(passkey(alice), 3, Date.now())),
      )
      assert.equal(results.filter((r) => r === null).length, 3)
      assert.equal(results.filter((r) => r === 'full').length, 5)
      assert.equal((await stores.passkeys.list(alice)).length, 3)
    })

    test('`use` moves the counter only from the value it was checked against: one of two racing uses wins', async (t) => {
      const { stores, database } = await engine.open(t)
      const alice = await user(database, '+998901234567')
      const p = { ...passkey(alice), counter: 5 }
      await stores.passkeys.add(p, 20, Date.now())
      const now = Date.now()
      assert.equal(await stores.passkeys.use(p.id, 4, 6, now), false, 'checked against a stale counter')
      const raced = await Promise.all([
        stores.passkeys.use(p.id, 5, 6, now),
        stores.passkeys.use(p.id, 5, 6, now),
        stores.passkeys.use(p.id, 5, 7, now),
      ])
      assert.equal(raced.filter(Boolean).length, 1)
      const row = await stores.passkeys.byCredential(p.credentialId)
      assert.equal(row?.last_used_at, now)
      assert.ok(row?.counter === 6 || row?.counter === 7)
    })

    test('`remove` deletes only the user’s own passkey; deleting the user deletes the rest', async (t) => {
      const { stores, database } = await engine.open(t)
      const [alice, bob] = [await user(database, '+998901234567'), await user(database, '+998931112233')]
      const [a1, a2, b1] = [passkey(alice), passkey(alice), passkey(bob)]
      for (const p of [a1, a2, b1]) await stores.passkeys.add(p, 20, Date.now())
      assert.equal(await stores.passkeys.remove(bob, a1.id), false, 'not his')
      assert.equal(await stores.passkeys.remove(alice, 'nope'), false)
      assert.equal(await stores.passkeys.remove(alice, a1.id), true)
      assert.equal(await stores.passkeys.remove(alice, a1.id), false, 'already gone')
      await database.db.deleteFrom('users').where('id', '=', alice).execute()
      assert.equal(await stores.passkeys.byCredential(a2.credentialId), null, 'cascaded with its user')
      assert.deepEqual(
        (await stores.passkeys.list(bob)).map((r) => r.id),
        [b1.id],
      )
    })

    test('`recordSignIn` keeps the sign-in and the SMS it spared, with no user or number', async (t) => {
      const { stores, database } = await engine.open(t)
      const at = Date.now()
      await stores.passkeys.recordSignIn({
        id: timeOrderedId(at),
        app: 'driver',
        country: 'UZ',
        provider: 'eskiz',
        saved: { amount: 90, currency: 'UZS', usd: 0.0072 },
        at,
      })
      await stores.passkeys.recordSignIn({
        id: timeOrderedId(at),
        app: 'passenger',
        country: 'KZ',
        provider: null,
        saved: null,
        at,
      })
      const rows = await database.db.selectFrom('passkey_sign_ins').selectAll().orderBy('app').execute()
      assert.deepEqual(
        rows.map(({ id: _, ...r }) => r),
        [
          {
            app: 'driver',
            country: 'UZ',
            provider: 'eskiz',
            saved: 90,
            currency: 'UZS',
            saved_usd: 0.0072,
            created_at: at,
          },
          {
            app: 'passenger',
            country: 'KZ',
            provider: null,
            saved: null,
            currency: null,
            saved_usd: null,
            created_at: at,
          },
        ],
      )
    })
  })

// Challenges go where codes go: Redis when it is configured, else the SQL database.
for (const engine of ENGINES)
  describe(`challenges on ${engine.name}`, { skip: engine.skip }, () => {
    test('a challenge is taken once, with its purpose and user; a replay finds nothing', async (t) => {
      const { challenges } = (await engine.open(t)).stores
      const now = Date.now()
      const c = randomBytes(32).toString('base64url')
      const expiresAt = now + 5 * MINUTE
      await challenges.save(c, { purpose: 'register', userId: 42, expiresAt })
      assert.deepEqual(await challenges.take(c, now), { purpose: 'register', userId: 42, expiresAt })
      assert.equal(await challenges.take(c, now), null)
      const s = randomBytes(32).toString('base64url')
      await challenges.save(s, { purpose: 'authenticate', userId: null, expiresAt })
      assert.deepEqual(await challenges.take(s, now), { purpose: 'authenticate', userId: null, expiresAt })
      assert.equal(await challenges.take(randomBytes(32).toString('base64url'), now), null)
    })

    test('an expired challenge cannot be taken', async (t) => {
      const { challenges } = (await engine.open(t)).stores
      const now = Date.now()
      const c = randomBytes(32).toString('base64url')
      await challenges.save(c, { purpose: 'authenticate', userId: null, expiresAt: now + 1000 })
      assert.equal(await challenges.take(c, now + 1000), null)
      await challenges.sweep(now + 2000)
    })

    test('of twenty concurrent answers with one challenge, exactly one takes it', async (t) => {
      const { challenges } = (await engine.open(t)).stores
      const now = Date.now()
      const c = randomBytes(32).toString('base64url')
      await challenges.save(c, { purpose: 'authenticate', userId: null, expiresAt: now + MINUTE })
      const taken = await Promise.all(Array.from({ length: 20 }, () => challenges.take(c, now)))
      assert.equal(taken.filter((x) => x !== null).length, 1)
    })

    test('`sweep` removes expired challenges and keeps live ones', {
      skip: engine.name === 'redis' && 'Redis expires them itself',
    }, async (t) => {
      const { stores, database } = await engine.open(t)
      const now = Date.now()
      const [old, live] = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')]
      await stores.challenges.save(old, { purpose: 'authenticate', userId: null, expiresAt: now - 1 })
      await stores.challenges.save(live, { purpose: 'authenticate', userId: null, expiresAt: now + MINUTE })
      await stores.challenges.sweep(now)
      const left = await database.db.selectFrom('passkey_challenges').select('challenge').execute()
      assert.deepEqual(
        left.map((r) => r.challenge),
        [live],
      )
    })
  })
