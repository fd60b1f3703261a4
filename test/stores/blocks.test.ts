import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { BlockStore, NewBlock } from '../../src/stores/blocks/index.js'
import { ENGINES } from './engines.js'

const HOUR = 3_600_000
const block = (
  prefix: string,
  expiresAt: number | null,
  reason: NewBlock['reason'] = 'manual',
): NewBlock => ({
  prefix,
  reason,
  detail: `detail of ${prefix}`,
  createdBy: 'ops',
  expiresAt,
})
const prefixes = async (rows: Promise<{ prefix: string }[]>) => (await rows).map((r) => r.prefix)

/** Three blocks made an hour apart: one in force for good, one in force for an hour, one expired. */
async function seed(store: BlockStore, now: number): Promise<void> {
  await store.block(block('+99893', null), now - 3 * HOUR)
  await store.block(block('+998901234', now + HOUR, 'volume'), now - 2 * HOUR)
  await store.block(block('+99877', now - 1), now - HOUR)
}

// Prefix blocks live in the SQL database (the Redis engine keeps them in SQLite, like the SQLite one).
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('a block is stored as given; `list` shows those in force, newest first, or with `all` every one', async (t) => {
      const { blocks } = (await engine.open(t)).stores
      const now = Date.now()
      await seed(blocks, now)
      assert.deepEqual(await prefixes(blocks.list({ now })), ['+998901234', '+99893'])
      assert.deepEqual(await prefixes(blocks.list({ all: true, now })), ['+99877', '+998901234', '+99893'])
      assert.deepEqual(
        await prefixes(blocks.list({ now: now + 2 * HOUR })),
        ['+99893'],
        'later, one has ended',
      )
      const [row] = await blocks.list({ now })
      assert.deepEqual(row, {
        prefix: '+998901234',
        reason: 'volume',
        detail: 'detail of +998901234',
        created_by: 'ops',
        created_at: now - 2 * HOUR,
        expires_at: now + HOUR,
        removed_at: null,
        removed_by: null,
      })
    })

    test('`remove` lifts a block in force once, keeping the row; an expired block is not lifted', async (t) => {
      const { blocks } = (await engine.open(t)).stores
      const now = Date.now()
      await seed(blocks, now)
      assert.equal(await blocks.remove('+998901234', 'test', now), true)
      assert.equal(await blocks.remove('+998901234', 'test', now), false, 'already removed')
      assert.equal(await blocks.remove('+99877', 'test', now), false, 'expired blocks are not in force')
      assert.equal(await blocks.remove('+1555', 'test', now), false, 'never blocked')
      assert.deepEqual(await prefixes(blocks.list({ now })), ['+99893'])
      const removed = (await blocks.list({ all: true, now })).find((b) => b.prefix === '+998901234')
      assert.equal(removed?.removed_by, 'test')
      assert.equal(removed?.removed_at, now)
    })

    test('blocking a prefix again replaces its earlier block, lifted or not', async (t) => {
      const { blocks } = (await engine.open(t)).stores
      const now = Date.now()
      await blocks.block(block('+998901234', now + HOUR), now - HOUR)
      await blocks.remove('+998901234', 'test', now - 10)
      await blocks.block(block('+998901234', null, 'verify_rate'), now)
      const all = await blocks.list({ all: true, now })
      assert.equal(all.length, 1)
      assert.deepEqual(
        [all[0]?.reason, all[0]?.created_at, all[0]?.expires_at, all[0]?.removed_at, all[0]?.removed_by],
        ['verify_rate', now, null, null, null],
      )
    })

    test('`current` gives what a send must know: blocks in force, and those lifted within the window', async (t) => {
      const { blocks } = (await engine.open(t)).stores
      const now = Date.now()
      await seed(blocks, now)
      await blocks.block(block('+99890', null), now - HOUR)
      await blocks.block(block('+99891', null), now - HOUR)
      await blocks.remove('+99890', 'test', now - 10 * 60_000)
      await blocks.remove('+99891', 'test', now - 2 * HOUR)
      const current = await prefixes(blocks.current(now, now - HOUR))
      assert.deepEqual(current.sort(), ['+99890', '+998901234', '+99893'])
    })
  })
