import assert from 'node:assert/strict'
import test from 'node:test'
import { aloneOnDeadlock, TurnBatch } from '../../src/db/turn-batch.js'

const turn = () => new Promise((resolve) => setImmediate(resolve))

test('a turn batch writes the rows of one turn with one call, and the next turn’s with another; each row gets its result', async () => {
  const writes: number[][] = []
  const batch = new TurnBatch<number, number>(async (rows) => {
    writes.push([...rows])
    return rows.map((r) => r * 10)
  })
  assert.deepEqual(await Promise.all([batch.add(1), batch.add(2), batch.add(3)]), [10, 20, 30])
  const later = batch.add(4)
  await turn()
  assert.deepEqual(await Promise.all([later, batch.add(5)]), [40, 50])
  assert.deepEqual(writes, [[1, 2, 3], [4], [5]])
})

test('a failed write fails every row it carried, and the next turn starts a new batch', async () => {
  let fail = true
  const batch = new TurnBatch<string>(async () => {
    if (fail) throw new Error('the database is down')
    return []
  })
  const results = await Promise.allSettled([batch.add('a'), batch.add('b')])
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  )
  fail = false
  await batch.add('c')
})

test('a batch PostgreSQL aborts for a deadlock is written row by row; any other error fails the batch', async () => {
  const calls: string[][] = []
  const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' })
  const batch = new TurnBatch(
    aloneOnDeadlock(async (rows: readonly string[]) => {
      calls.push([...rows])
      if (rows.length > 1) throw deadlock
      if (rows.includes('broken')) throw new Error('no')
      return rows.map((r) => r.toUpperCase())
    }),
  )
  assert.deepEqual(await Promise.all([batch.add('a'), batch.add('b')]), ['A', 'B'])
  assert.deepEqual(calls, [['a', 'b'], ['a'], ['b']])
  const failed = await Promise.allSettled([batch.add('c'), batch.add('broken')])
  assert.deepEqual(
    failed.map((r) => r.status),
    ['fulfilled', 'rejected'],
    'after a deadlock only the row that fails alone fails',
  )
})
