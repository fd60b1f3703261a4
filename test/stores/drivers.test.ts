import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DriverStore, NewDriver } from '../../src/stores/drivers/index.js'
import { ENGINES } from './engines.js'

const driver = (phone: string, name: string | null = null): NewDriver => ({ phone, name })
const phones = async (rows: Promise<{ phone: string }[]>) => (await rows).map((r) => r.phone)

/** Every page of the roster, `limit` rows at a time, as a client walks it. */
async function walk(store: DriverStore, limit: number, search?: string): Promise<string[][]> {
  const pages: string[][] = []
  let after: { createdAt: number; phone: string } | undefined
  for (;;) {
    const rows = await store.list({ limit, ...(search ? { search } : {}), ...(after ? { after } : {}) })
    if (rows.length === 0) return pages
    pages.push(rows.map((r) => r.phone))
    const last = rows.at(-1) as { created_at: number; phone: string }
    after = { createdAt: last.created_at, phone: last.phone }
  }
}

// The roster lives in the SQL database (the Redis engine keeps it in SQLite, like the SQLite one).
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('numbers added are on the roster with their name, source and time; others are not', async (t) => {
      const { drivers } = (await engine.open(t)).stores
      const now = Date.now()
      assert.deepEqual(
        await drivers.add([driver('+998901234567', 'Aziz Karimov'), driver('+998931112233')], 'admin', now),
        ['+998901234567', '+998931112233'],
      )
      assert.equal(await drivers.has('+998901234567'), true)
      assert.equal(await drivers.has('+998931112233'), true)
      assert.equal(await drivers.has('+998901234568'), false)
      assert.deepEqual(await drivers.get('+998901234567'), {
        phone: '+998901234567',
        name: 'Aziz Karimov',
        added_by: 'admin',
        created_at: now,
      })
      assert.equal(await drivers.get('+998901234568'), null)
      assert.equal(await drivers.count(), 2)
    })

    test('a number already on the roster keeps its row; one given twice is added once', async (t) => {
      const { drivers } = (await engine.open(t)).stores
      const now = Date.now()
      await drivers.add([driver('+998901234567', 'First')], 'cli', now - 1000)
      const added = await drivers.add(
        [
          driver('+998901234567', 'Second'),
          driver('+998977654321', 'Nodira'),
          driver('+998977654321', 'Nodira'),
        ],
        'import',
        now,
      )
      assert.deepEqual(added, ['+998977654321'])
      assert.deepEqual(await drivers.get('+998901234567'), {
        phone: '+998901234567',
        name: 'First',
        added_by: 'cli',
        created_at: now - 1000,
      })
      assert.equal((await drivers.get('+998977654321'))?.added_by, 'import')
      assert.equal(await drivers.count(), 2)
      assert.deepEqual(await drivers.add([], 'admin'), [])
    })

    test('`add` is all or nothing: a row the database refuses leaves the whole batch out', async (t) => {
      const { drivers } = (await engine.open(t)).stores
      // The second row breaks NOT NULL after the first was written.
      const bad = [driver('+998901234567'), driver(null as unknown as string)]
      await assert.rejects(drivers.add(bad, 'admin'))
      assert.equal(await drivers.count(), 0)
      assert.equal(await drivers.has('+998901234567'), false)
    })

    test('`remove` takes a number off once and says whether it was there', async (t) => {
      const { drivers } = (await engine.open(t)).stores
      await drivers.add([driver('+998901234567'), driver('+998931112233')], 'admin')
      assert.equal(await drivers.remove('+998901234567'), true)
      assert.equal(await drivers.remove('+998901234567'), false, 'already removed')
      assert.equal(await drivers.remove('+15005550006'), false, 'never there')
      assert.equal(await drivers.has('+998901234567'), false)
      assert.deepEqual(await phones(drivers.list({ limit: 10 })), ['+998931112233'])
    })

    test('the listing is newest first, pages without gaps or repeats, and searches numbers and names', async (t) => {
      const { drivers } = (await engine.open(t)).stores
      const now = Date.now()
      // Two imports of three (one time each), then one more: ties are ordered by number, descending.
      await drivers.add(
        [driver('+998900000001', 'Aziz'), driver('+998900000002', 'aziza'), driver('+998900000003')],
        'import',
        now - 2000,
      )
      await drivers.add(
        [driver('+998910000001', 'Bobur'), driver('+998910000002', '50%_off'), driver('+998910000003')],
        'import',
        now - 1000,
      )
      await drivers.add([driver('+998930000001', 'AZIZBEK')], 'admin', now)
      const order = [
        '+998930000001',
        '+998910000003',
        '+998910000002',
        '+998910000001',
        '+998900000003',
        '+998900000002',
        '+998900000001',
      ]
      assert.deepEqual(await phones(drivers.list({ limit: 50 })), order)
      assert.deepEqual((await walk(drivers, 2)).flat(), order)
      assert.deepEqual(
        (await walk(drivers, 2)).map((p) => p.length),
        [2, 2, 2, 1],
      )
      assert.deepEqual(await phones(drivers.list({ limit: 50, search: 'aziz' })), [
        '+998930000001',
        '+998900000002',
        '+998900000001',
      ])
      assert.equal(await drivers.count('aziz'), 3)
      assert.deepEqual((await walk(drivers, 1, 'aziz')).flat(), [
        '+998930000001',
        '+998900000002',
        '+998900000001',
      ])
      assert.deepEqual(await phones(drivers.list({ limit: 50, search: '99891' })), [
        '+998910000003',
        '+998910000002',
        '+998910000001',
      ])
      // LIKE's wildcards are taken literally.
      assert.deepEqual(await phones(drivers.list({ limit: 50, search: '%_' })), ['+998910000002'])
      assert.deepEqual(await phones(drivers.list({ limit: 50, search: '_' })), ['+998910000002'])
      assert.equal(await drivers.count('nobody'), 0)
      assert.equal(await drivers.count(), 7)
    })
  })
