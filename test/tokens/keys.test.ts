import assert from 'node:assert/strict'
import { sign, verify } from 'node:crypto'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import type { SigningKeyStore } from '../../src/stores/keys/index.js'
import { publishedUntil, rotateKeys, type SigningAlgorithm } from '../../src/tokens/key-pairs.js'
import { KeyRing, KeyRingError, type KeyRingOptions } from '../../src/tokens/keys.js'
import { LogCapture, SECRET } from '../helpers.js'
import { ENGINES } from '../stores/engines.js'

const LIFETIME = 15 * 60

/** A key ring over `store` with a clock the test moves, and the log lines it wrote. */
function ringOptions(store: SigningKeyStore, overrides: Partial<KeyRingOptions> = {}) {
  const logs = new LogCapture()
  const clock = { now: Date.now() }
  const options: KeyRingOptions = {
    store,
    secret: SECRET,
    algorithm: 'EdDSA',
    accessTokenSeconds: LIFETIME,
    log: pino({ level: 'info' }, logs),
    now: () => clock.now,
    ...overrides,
  }
  return { options, logs, clock }
}

async function open(options: KeyRingOptions): Promise<KeyRing> {
  return await KeyRing.open(options)
}

/** The current key signs, and the published key of the same kid verifies what it signed. */
function assertSignsAndVerifies(ring: KeyRing): void {
  const { kid, alg, privateKey } = ring.current()
  const data = Buffer.from('header.payload')
  const signature = sign(alg === 'EdDSA' ? null : 'sha256', data, privateKey)
  const published = ring.publicKey(kid)
  assert.ok(published, `the current key ${kid} is published`)
  assert.equal(published.alg, alg)
  assert.equal(verify(alg === 'EdDSA' ? null : 'sha256', data, published.key, signature), true)
}

for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('the first start makes a key; a restart uses the same one', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const { options, logs } = ringOptions(keys)
      const first = await open(options)
      t.after(() => first.close())
      assertSignsAndVerifies(first)
      assert.equal((await keys.list()).length, 1)
      assert.ok(logs.messages().some((m) => /^🔑 Made the first token signing key \S+ \(EdDSA\)$/.test(m)))

      const restarted = await open(ringOptions(keys).options)
      t.after(() => restarted.close())
      assert.equal(restarted.current().kid, first.current().kid)
      assert.equal((await keys.list()).length, 1, 'no second key')
      assertSignsAndVerifies(restarted)
    })

    for (const alg of ['EdDSA', 'ES256'] as SigningAlgorithm[])
      test(`the JWKS of an ${alg} key holds its public members only`, async (t) => {
        const { keys } = (await engine.open(t)).stores
        const ring = await open(ringOptions(keys, { algorithm: alg }).options)
        t.after(() => ring.close())
        assertSignsAndVerifies(ring)
        const { kid } = ring.current()
        const [jwk, ...more] = ring.jwks().keys
        assert.deepEqual(more, [])
        assert.deepEqual(
          Object.keys(jwk ?? {}).sort(),
          alg === 'EdDSA'
            ? ['alg', 'crv', 'kid', 'kty', 'use', 'x']
            : ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
        )
        assert.deepEqual(
          { kid: jwk?.kid, alg: jwk?.alg, use: jwk?.use, crv: jwk?.crv },
          { kid, alg, use: 'sig', crv: alg === 'EdDSA' ? 'Ed25519' : 'P-256' },
        )
        // Nor is the private half readable in the database without SECRET_KEY.
        const [row] = await keys.list()
        const der = ring.current().privateKey.export({ format: 'der', type: 'pkcs8' })
        assert.ok(!Buffer.from(row?.private_sealed ?? '', 'base64url').includes(der.subarray(-32)))
        assert.doesNotMatch(row?.public_jwk ?? '', /"d"/)
      })

    test('a rotation made elsewhere is taken up at the next reload; the previous key stays published for its window, then is dropped', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const { options, logs, clock } = ringOptions(keys)
      const ring = await open(options)
      t.after(() => ring.close())
      const old = ring.current().kid

      // `royal-taxi keys rotate`, or another instance.
      const rotated = await rotateKeys({
        store: keys,
        secret: SECRET,
        algorithm: 'EdDSA',
        accessTokenSeconds: LIFETIME,
        now: clock.now,
      })
      assert.deepEqual(rotated.retired, [old])
      assert.equal(ring.current().kid, old, 'until its next reload, the ring signs as before')
      await ring.reload()
      assert.equal(ring.current().kid, rotated.created)
      assertSignsAndVerifies(ring)
      assert.ok(logs.messages().includes('signing keys: now signing with a new key'))
      assert.deepEqual(
        ring.jwks().keys.map((k) => k.kid),
        [rotated.created, old],
        'current first, then the previous key',
      )
      assert.ok(ring.publicKey(old), 'tokens the old key signed still verify')

      const until = publishedUntil(clock.now, LIFETIME)
      assert.ok(until - clock.now > LIFETIME * 1000, 'published longer than a token lives')
      clock.now = until - 1
      await ring.reload()
      assert.ok(ring.publicKey(old), 'still published just before the end of its window')
      clock.now = until
      assert.equal(ring.publicKey(old), undefined, 'no longer published, even before a reload')
      assert.deepEqual(
        ring.jwks().keys.map((k) => k.kid),
        [rotated.created],
      )
      await ring.reload()
      assert.deepEqual(
        (await keys.list()).map((k) => k.kid),
        [rotated.created],
        'dropped from the database',
      )
    })

    test('the reload timer takes up a rotation by itself', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const ring = await open(ringOptions(keys, { now: Date.now, reloadMs: 25 }).options)
      t.after(() => ring.close())
      const { created } = await rotateKeys({
        store: keys,
        secret: SECRET,
        algorithm: 'ES256',
        accessTokenSeconds: LIFETIME,
      })
      for (let i = 0; i < 200 && ring.current().kid !== created; i++) await sleep(10)
      assert.equal(ring.current().kid, created)
      assert.equal(ring.current().alg, 'ES256')
    })

    test('a key sealed under another SECRET_KEY stops the start with a message naming the cause', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const ring = await open(ringOptions(keys).options)
      ring.close()
      const other = ringOptions(keys, { secret: 'another-secret-key-that-is-long-enough-98765' })
      await assert.rejects(open(other.options), (err: Error) => {
        assert.ok(err instanceof KeyRingError)
        assert.match(
          err.message,
          /^signing key \S+ cannot be decrypted with this SECRET_KEY: was SECRET_KEY changed/,
        )
        assert.match(err.message, /royal-taxi keys rotate/)
        return true
      })
      assert.equal((await keys.list()).length, 1, 'nothing was written')

      // The way out the message names: a new key under the new SECRET_KEY; the old one stays published.
      await rotateKeys({
        store: keys,
        secret: other.options.secret,
        algorithm: 'EdDSA',
        accessTokenSeconds: LIFETIME,
      })
      const after = await open(other.options)
      t.after(() => after.close())
      assertSignsAndVerifies(after)
      assert.ok(after.publicKey(ring.current().kid), 'the old key still verifies its tokens')
    })

    test('with a SECRET_KEY generated for this run (development), an unreadable key is replaced', async (t) => {
      const { keys } = (await engine.open(t)).stores
      ;(await open(ringOptions(keys, { secret: 'generated-run-one-0123456789abcdefghij' }).options)).close()
      const second = ringOptions(keys, {
        secret: 'generated-run-two-0123456789abcdefghij',
        secretIsEphemeral: true,
      })
      const ring = await open(second.options)
      t.after(() => ring.close())
      assertSignsAndVerifies(ring)
      assert.equal((await keys.list()).length, 2)
      assert.match(second.logs.text(), /SECRET_KEY is generated for this run/)
    })

    test('instances starting at once end with one current key, the same for all', async (t) => {
      const { keys } = (await engine.open(t)).stores
      const rings = await Promise.all(Array.from({ length: 4 }, () => open(ringOptions(keys).options)))
      t.after(() => {
        for (const r of rings) r.close()
      })
      assert.equal(new Set(rings.map((r) => r.current().kid)).size, 1)
      const rows = await keys.list()
      assert.deepEqual(
        rows.map((r) => r.kid),
        [rings[0]?.current().kid],
        'only the winner was stored',
      )
      for (const r of rings) assertSignsAndVerifies(r)
    })

    test('a failed reload keeps the keys loaded and warns once until a reload works again', async (t) => {
      const { keys } = (await engine.open(t)).stores
      let down = false
      const flaky: SigningKeyStore = {
        list: () => (down ? Promise.reject(new Error('connection refused')) : keys.list()),
        createFirst: (k, now) => keys.createFirst(k, now),
        rotate: (k, now) => keys.rotate(k, now),
        dropRetired: (before) => keys.dropRetired(before),
      }
      const { options, logs } = ringOptions(flaky)
      const ring = await open(options)
      t.after(() => ring.close())
      const kid = ring.current().kid
      down = true
      await ring.reload()
      await ring.reload()
      assert.equal(ring.current().kid, kid)
      assertSignsAndVerifies(ring)
      const warnings = logs.lines.filter((l) => l.level === 40)
      assert.equal(warnings.length, 1)
      assert.match(
        warnings[0]?.msg ?? '',
        /reload failed, signing with \S+ as before until a reload succeeds: connection refused/,
      )
      down = false
      await ring.reload()
      assert.ok(logs.messages().includes('signing keys: reloading works again'))
    })

    test('a current key of another algorithm than TOKEN_ALGORITHM signs on, with a warning to rotate', async (t) => {
      const { keys } = (await engine.open(t)).stores
      ;(await open(ringOptions(keys, { algorithm: 'EdDSA' }).options)).close()
      const es = ringOptions(keys, { algorithm: 'ES256' })
      const ring = await open(es.options)
      t.after(() => ring.close())
      assert.equal(ring.current().alg, 'EdDSA')
      assert.match(es.logs.text(), /TOKEN_ALGORITHM is ES256 but the current key is EdDSA/)
    })
  })
