import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import type { NewSigningKey } from '../../src/stores/keys/index.js'
import { ENGINES } from './engines.js'

const MINUTE = 60_000
/** A row as the store sees it: the store neither makes nor opens keys, so any text will do. */
const key = (alg: NewSigningKey['alg'] = 'EdDSA'): NewSigningKey => ({
  kid: randomBytes(8).toString('hex'),
  alg,
  publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: randomBytes(32).toString('base64url') }),
  sealedPrivate: randomBytes(48).toString('base64url'),
})
const current = (rows: { kid: string; retired_at: number | null }[]) =>
  rows.filter((r) => r.retired_at === null).map((r) => r.kid)

// Signing keys live in the SQL database (the Redis engine keeps them in SQLite, like the SQLite one).
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('the first key is stored as given; a second first key is refused while one is current', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const now = Date.now()
      assert.deepEqual(await keys.list(), [])
      const first = key('ES256')
      assert.equal(await keys.createFirst(first, now), true)
      assert.equal(await keys.createFirst(key(), now + 1), false, 'another instance was first')
      assert.deepEqual(await keys.list(), [
        {
          kid: first.kid,
          alg: 'ES256',
          public_jwk: first.publicJwk,
          private_sealed: first.sealedPrivate,
          created_at: now,
          retired_at: null,
        },
      ])
    })

    test('`rotate` retires the current key and makes the new one current; `list` is newest first', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const now = Date.now()
      const [a, b, c] = [key(), key(), key()]
      await keys.createFirst(a, now - 2 * MINUTE)
      assert.deepEqual(await keys.rotate(b, now - MINUTE), [a.kid])
      assert.deepEqual(await keys.rotate(c, now), [b.kid])
      const rows = await keys.list()
      assert.deepEqual(
        rows.map((r) => [r.kid, r.created_at, r.retired_at]),
        [
          [c.kid, now, null],
          [b.kid, now - MINUTE, now],
          [a.kid, now - 2 * MINUTE, now - MINUTE],
        ],
      )
      assert.equal(await keys.createFirst(key(), now), false)
    })

    test('instances racing to make the first key, or rotating at once, leave exactly one current key', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const now = Date.now()
      const made = await Promise.all(Array.from({ length: 8 }, () => keys.createFirst(key(), now)))
      assert.equal(made.filter(Boolean).length, 1, 'one first key stored')
      const rotations = await Promise.all(Array.from({ length: 4 }, () => keys.rotate(key(), now)))
      assert.equal(current(await keys.list()).length, 1)
      assert.equal((await keys.list()).length, 5, 'every rotation made its key')
      assert.equal(rotations.flat().length, 4, 'each earlier current key was retired once')
    })

    test('`dropRetired` deletes the keys retired at or before the time given, never the current one', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const now = Date.now()
      const [a, b, c] = [key(), key(), key()]
      await keys.createFirst(a, now - 20 * MINUTE)
      await keys.rotate(b, now - 10 * MINUTE)
      await keys.rotate(c, now - 5 * MINUTE)
      assert.deepEqual(await keys.dropRetired(now - 11 * MINUTE), [])
      assert.deepEqual(await keys.dropRetired(now - 10 * MINUTE), [a.kid])
      assert.deepEqual(await keys.dropRetired(now), [b.kid])
      assert.deepEqual(
        (await keys.list()).map((r) => r.kid),
        [c.kid],
      )
    })
  })
