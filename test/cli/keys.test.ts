import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import pino from 'pino'
import { migrate, openDatabase } from '../../src/db/index.js'
import { openStores } from '../../src/stores/index.js'
import { publishedUntil, rotateKeys } from '../../src/tokens/key-pairs.js'
import { KeyRing } from '../../src/tokens/keys.js'
import { BACKENDS, LogCapture, SECRET } from '../helpers.js'
import { cli, workspace } from './helpers.js'

const LIFETIME = 15 * 60
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ'

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  describe(backend.name, { skip: backend.skip }, () => {
    test('keys rotate makes a new current key that a running instance takes up at its next reload; keys list shows both', async (t) => {
      const env = await backend.env(t)
      const ws = workspace(t, env)
      const database = openDatabase(
        env.DATABASE_URL
          ? { kind: 'postgres', url: env.DATABASE_URL }
          : { kind: 'sqlite', path: `${ws.dir}/test.db` },
      )
      t.after(() => database.close())
      await migrate(database)
      const store = openStores(database, null).keys
      const ring = await KeyRing.open({
        store,
        secret: SECRET,
        algorithm: 'EdDSA',
        accessTokenSeconds: LIFETIME,
        log: pino({ level: 'info' }, new LogCapture()),
      })
      t.after(() => ring.close())
      const old = ring.current().kid

      const rotated = await cli(['keys', 'rotate'], { envFile: ws.envFile })
      assert.equal(rotated.code, 0, rotated.stderr)
      const lines = rotated.stdout.split('\n')
      const made = /^Made (\S+) \(EdDSA\), the current key from now on\.$/.exec(lines[0] ?? '')?.[1]
      assert.ok(made, rotated.stdout)
      assert.match(
        lines[1] ?? '',
        new RegExp(
          `^Retired ${old}: still published until ${ISO} \\(its tokens verify until they expire\\)\\.$`,
        ),
      )
      assert.equal(
        lines[2],
        'Running instances sign with the new key from their next reload (within 30 seconds).',
      )

      await ring.reload()
      assert.equal(ring.current().kid, made)
      assert.ok(ring.publicKey(old), 'the previous key still verifies')

      const list = await cli(['keys', 'list'], { envFile: ws.envFile })
      assert.equal(list.code, 0, list.stderr)
      const [header, first, second, ...rest] = list.stdout.split('\n')
      assert.match(header ?? '', /^KID\s+ALG\s+CREATED\s+STATE$/)
      assert.match(first ?? '', new RegExp(`^${made}\\s+EdDSA\\s+${ISO}\\s+current$`))
      assert.match(second ?? '', new RegExp(`^${old}\\s+EdDSA\\s+${ISO}\\s+previous until ${ISO}$`))
      assert.deepEqual(rest, [])

      const json = JSON.parse((await cli(['keys', 'list', '--json'], { envFile: ws.envFile })).stdout)
      assert.deepEqual(
        json.map((k: { kid: string; state: string }) => [k.kid, k.state]),
        [
          [made, 'current'],
          [old, 'previous'],
        ],
      )
      assert.doesNotMatch(JSON.stringify(json), /sealed|private|"d"/)
    })
  })

test('keys list on a fresh database; keys rotate drops keys whose publication is over', async (t) => {
  const ws = workspace(t)
  const empty = await cli(['keys', 'list'], { envFile: ws.envFile })
  assert.equal(empty.code, 0, empty.stderr)
  assert.equal(empty.stdout, 'No signing keys yet: the service makes the first one when it starts.')

  // Two rotations a day ago: the first key was retired then, and its window is long over.
  const database = openDatabase({ kind: 'sqlite', path: `${ws.dir}/test.db` })
  t.after(() => database.close())
  const store = openStores(database, null).keys
  const dayAgo = Date.now() - 86_400_000
  const options = { store, secret: SECRET, algorithm: 'ES256' as const, accessTokenSeconds: LIFETIME }
  const a = await rotateKeys({ ...options, now: dayAgo })
  const b = await rotateKeys({ ...options, now: dayAgo + 1000 })
  assert.deepEqual(b.retired, [a.created])

  const listed = await cli(['keys', 'list'], { envFile: ws.envFile })
  assert.match(listed.stdout, new RegExp(`\\n${a.created}\\s+ES256\\s+${ISO}\\s+expired$`))
  const rotated = await cli(['keys', 'rotate'], { envFile: ws.envFile })
  assert.equal(rotated.code, 0, rotated.stderr)
  assert.match(
    rotated.stdout,
    new RegExp(`^Dropped ${a.created}: every token it signed has expired\\.\\nMade `),
  )
  assert.match(rotated.stdout, new RegExp(`\\nRetired ${b.created}: still published until `))
  const kids = (await store.list()).map((k) => k.kid)
  assert.equal(kids.length, 2)
  assert.ok(!kids.includes(a.created))
  assert.ok(publishedUntil(dayAgo, LIFETIME) < Date.now())
})

test('keys rotate without SECRET_KEY refuses: the service could never open the key', async (t) => {
  const ws = workspace(t, { SECRET_KEY: '' })
  const r = await cli(['keys', 'rotate'], { envFile: ws.envFile })
  assert.equal(r.code, 1)
  assert.equal(r.stderr, 'royal-taxi: SECRET_KEY is not set: set the one the service runs with, then rotate')
})
