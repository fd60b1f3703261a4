import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import test from 'node:test'
import { measure } from '../../bench/load.js'
import type { Child } from '../../bench/processes.js'

// The PostgreSQL pass analyzes its tables between a scenario's warm-up and its measured run (bench/run.ts):
// the hook must run after the warm-up's requests and before any measured one.
test("the benchmark's settle step runs between the warm-up and the measured run", async (t) => {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end('{"ok":true}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const child = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pid: process.pid,
  } as Child
  // Counted where autocannon makes each request's body, not where the server sees it: a request still in
  // flight when a run stops would blur the line between the two runs.
  let bodies = 0
  let atSettle = -1
  const m = await measure(
    child,
    {
      name: 'probe',
      path: '/',
      expectedStatus: 200,
      body: () => {
        bodies++
        return '{}'
      },
    },
    { connections: 1, warmupSeconds: 0.3, durationSeconds: 0.3 },
    async () => {
      atSettle = bodies
    },
  )
  assert.ok(atSettle > 0, 'the warm-up ran before the settle step')
  assert.ok(m.total > 0, 'the measured run ran')
  assert.ok(bodies - atSettle >= m.total, 'every measured request was made after the settle step')
})
