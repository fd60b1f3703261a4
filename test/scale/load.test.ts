import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import test from 'node:test'
import { measureInTurns } from '../../bench/load.js'
import type { Child } from '../../bench/processes.js'
import { jsonServer } from './json-server.js'

// The PostgreSQL pass analyzes its tables between a scenario's warm-up and its measured run (bench/run.ts):
// the hook must run after the warm-up's requests and before any measured one.
test("the benchmark's settle step runs between the warm-up and the measured run", async (t) => {
  const child = await jsonServer(t)
  // Counted where autocannon makes each request's body, not where the server sees it: a request still in
  // flight when a run stops would blur the line between the two runs.
  let bodies = 0
  let atSettle = -1
  const probe = {
    name: 'probe',
    path: '/',
    expectedStatus: 200,
    body: () => {
      bodies++
      return '{}'
    },
  }
  const [, m] = await measureInTurns(
    [
      { server: child, scenario: { ...probe, name: 'ceiling', body: () => '{}' } },
      { server: child, scenario: probe },
    ],
    { connections: 1, warmupSeconds: 0.3, durationSeconds: 0.3 },
    async () => {
      atSettle = bodies
    },
  )
  assert.ok(atSettle > 0, 'the warm-up ran before the settle step')
  assert.ok(m && m.total > 0, 'the measured run ran')
  assert.ok(bodies - atSettle >= m.total, 'every measured request was made after the settle step')
})

/**
 * A server in a process of its own that spends `ms` per request: of CPU time, spinning on its core, or of
 * wall time, waiting on a timer.
 */
async function startChild(how: 'spin' | 'wait', ms: number): Promise<Child> {
  const source = `
    const http = require('node:http')
    const server = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        const answer = () => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}') }
        if (${JSON.stringify(how)} === 'wait') return setTimeout(answer, ${ms})
        const start = process.cpuUsage()
        for (;;) {
          const used = process.cpuUsage(start)
          if (used.user + used.system >= ${ms * 1000}) break
        }
        answer()
      })
    })
    server.listen(0, '127.0.0.1', () => process.send(server.address().port))`
  const proc = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const [port] = (await once(proc, 'message')) as [number]
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid as number,
    stop: async () => {
      proc.kill()
    },
  }
}

// The table's "event loop busy" and "machine idle" columns say whether the service's event loop or the
// machine is the bound. A server that spends 5 ms of CPU on each request must read as busy as those
// milliseconds make it, whatever else the machine does (on a crowded machine both the share and the
// requests fall), and one that waits for each answer near 0.
test('the benchmark tells a server whose event loop is the bound from one that waits', async (t) => {
  const probe = { name: 'probe', path: '/', expectedStatus: 200, body: () => '{}' }
  const settings = { connections: 1, warmupSeconds: 0, durationSeconds: 1 }
  const spinning = await startChild('spin', 5)
  t.after(() => spinning.stop())
  const waiting = await startChild('wait', 5)
  t.after(() => waiting.stop())

  // The two in turns, as the benchmark measures a scenario and the ceiling: each share is its own slices'.
  const [busy, idle] = await measureInTurns(
    [
      { server: spinning, scenario: probe },
      { server: waiting, scenario: probe },
    ],
    settings,
  )
  assert.ok(busy && idle)
  // 5 ms of CPU a request, over the wall time of the spinning server's slices (total / requests a second).
  const spentPercent = (busy.requestsPerSecond * 5) / 10
  assert.ok(busy.total > 0 && idle.total > 0)
  const busyPercent = busy.eventLoopThreadBusyPercent ?? 0
  assert.ok(
    Math.abs(busyPercent - spentPercent) <= 15,
    `spinning: ${busyPercent} %, its requests' CPU ${spentPercent.toFixed(0)} % of the run`,
  )
  const idlePercent = idle.eventLoopThreadBusyPercent ?? 100
  assert.ok(idlePercent <= 30, `waiting: ${idlePercent} %`)
  assert.ok(busyPercent >= idlePercent + 15, `spinning ${busyPercent} %, waiting ${idlePercent} %`)
  for (const m of [busy, idle]) {
    assert.equal(typeof m.machineIdlePercent, 'number')
    assert.ok((m.machineIdlePercent ?? -1) >= 0 && (m.machineIdlePercent ?? 101) <= 100)
  }
})
