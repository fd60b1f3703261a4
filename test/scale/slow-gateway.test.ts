import assert from 'node:assert/strict'
import test from 'node:test'
import { ask, startHelper } from '../../bench/processes.js'
import {
  gatewayDelayMs,
  latencies,
  percentile,
  type SlowGatewayResult,
  schedule,
  slowGatewayMarkdown,
} from '../../bench/slow-gateway.js'

test('the fake gateway’s delay is fixed per number and spread over the whole range', () => {
  const delays = Array.from({ length: 10_000 }, (_, i) =>
    gatewayDelayMs(`+99890${String(i).padStart(7, '0')}`, 300, 3000),
  )
  assert.equal(gatewayDelayMs('+998901234567', 300, 3000), gatewayDelayMs('+998901234567', 300, 3000))
  assert.ok(delays.every((d) => Number.isInteger(d) && d >= 300 && d <= 3000))
  // Evenly spread: each tenth of the range gets about a tenth of the numbers.
  for (let tenth = 0; tenth < 10; tenth++) {
    const n = delays.filter((d) => Math.min(9, Math.floor((d - 300) / 270)) === tenth).length
    assert.ok(n > 800 && n < 1200, `tenth ${tenth}: ${n}`)
  }
})

test('sends start evenly over the run; percentiles are nearest-rank', () => {
  const at = schedule(10_000, 60)
  assert.equal(at.length, 10_000)
  assert.equal(at[0], 0)
  assert.equal(at[1], 6)
  assert.ok((at.at(-1) as number) < 60_000)
  const values = Array.from({ length: 100 }, (_, i) => 100 - i)
  assert.equal(percentile(values, 50), 50)
  assert.equal(percentile(values, 99), 99)
  assert.equal(percentile([], 99), 0)
  assert.deepEqual(latencies([1.4, 2.6, 3]), { count: 3, p50: 3, p99: 3, max: 3 })
})

test('the fake answers after the number’s delay, and tells the codes it carried and its connections', async (t) => {
  const gateway = await startHelper('slow-fake.ts', ['40', '80'])
  t.after(() => gateway.stop())
  const phone = '+998901234567'
  const started = performance.now()
  const res = await fetch(`${gateway.url}/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      to: phone,
      text: 'Royal Taxi tasdiqlash kodi: 482910\nKod 5 daqiqa',
      message_id: 'm',
    }),
  })
  const took = performance.now() - started
  assert.equal(res.status, 200)
  assert.ok(took >= gatewayDelayMs(phone, 40, 80) - 2, `${took} ms`)
  assert.deepEqual(await ask(gateway, { codes: [phone, '+998911111111'] }, 'codes'), ['482910', null])
  const stats = await ask<{ connections: number; maxOpen: number; messages: number }>(
    gateway,
    { stats: true },
    'stats',
  )
  assert.deepEqual([stats.connections, stats.messages], [1, 1])
})

test('the report says what docs/SCALING.md records', () => {
  const l = (p50: number, p99: number, count = 100) => ({ count, p50, p99, max: p99 + 1 })
  const result: SlowGatewayResult = {
    settings: { codes: 10_000, seconds: 60, minMs: 300, maxMs: 3000 },
    sends: {
      answered: 10_000,
      statuses: { '200': 10_000 },
      latency: l(1650, 2980),
      overhead: l(2, 9),
      overheadP99By10s: [9, 8, 9, 9, 7, 9],
    },
    alone: { verify: l(3, 8), refresh: l(2, 6), failed: 0 },
    beside: { verify: l(4, 12), refresh: l(3, 10), failed: 0 },
    server: {
      rssMbBefore: 90,
      rssMbPeak: 160,
      rssMbAfter: 120,
      socketsPeak: 800,
      cpuPercent: 35,
      machineIdlePercent: 40,
      driverLagP99Ms: 12,
    },
    gateway: { connections: 420, maxOpen: 420, messages: 12_000 },
  }
  const text = slowGatewayMarkdown(result)
  assert.match(
    text,
    /^- sends: 10000 of 10000 answered \(10000 × 200\) in 60 s; time p50 1650 ms, p99 2980 ms/,
  )
  assert.match(
    text,
    /beyond the gateway's own delay for each send: p50 2 ms, p99 9 ms, max 10 ms; p99 per 10 s: 9, 8, 9, 9, 7, 9 ms/,
  )
  assert.match(text, /90 MB before, 160 MB at the peak, 120 MB after; open sockets at most 800/)
  assert.match(text, /12000 messages over 420 connections, at most 420 open at once/)
  assert.match(
    text,
    /- CPU: the server 35 % of a core through the run; the machine .* 40 % idle; the driver's own event-loop delay p99 12 ms/,
  )
  assert.match(text, /\| verify-otp \(right code\) \| 100 \| 3 \/ 8 ms \| 100 \| 4 \/ 12 ms \|/)
})
