import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'node:test'
import { promisify } from 'node:util'
import { type Measurement, measureInTurns } from '../../bench/load.js'
import { markdown, type Report, row } from '../../bench/report.js'
import { jsonServer } from './json-server.js'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')

// Before and after are compared through their ratios to the ceiling, so all three must see the host at the
// same speed: they take turns, a slice each, in order and then in reverse (ceiling, before, after, after,
// before, ceiling, …), so a host that speeds up or slows down through the run weighs on all alike, and each
// gets the whole measured time.
test('the ceiling, before and after are measured in alternating slices', async (t) => {
  const server = await jsonServer(t)
  const turns: string[] = []
  const target = (name: string) => ({
    server,
    scenario: {
      name,
      path: '/',
      expectedStatus: 200,
      body: () => {
        if (turns.at(-1) !== name) turns.push(name)
        return '{}'
      },
    },
  })
  const settings = { connections: 1, warmupSeconds: 0.1, durationSeconds: 0.8, sliceSeconds: 0.2 }
  const measured = await measureInTurns(
    [target('ceiling'), target('before'), target('after')],
    settings,
    async () => {
      turns.push('settle')
    },
  )
  // Warm-ups in order, then four slices of each: forward, backward, forward, backward.
  assert.deepEqual(turns, [
    ...['ceiling', 'before', 'after', 'settle'],
    ...['ceiling', 'before', 'after'],
    ...['before', 'ceiling'],
    ...['before', 'after'],
    ...['before', 'ceiling'],
  ])
  assert.equal(measured.length, 3)
  for (const m of measured) assert.ok(m.total > 0 && m.unexpected === 0, JSON.stringify(m))
})

const measurement = (requestsPerSecond: number): Measurement => ({
  requestsPerSecond,
  total: requestsPerSecond * 10,
  latencyP50Ms: 5,
  latencyP99Ms: 20,
  non2xx: 0,
  unexpected: 0,
  statusCodes: { 200: requestsPerSecond * 10 },
  peakRssMb: 150,
  serverCpuUsPerRequest: 200,
  eventLoopThreadBusyPercent: 95,
  machineIdlePercent: 30,
})

// The table answers issue 28's questions per scenario: how much did it lose (at most a quarter on SQLite,
// half on PostgreSQL + Redis), and is it still 4× the peer plugin's ratio (0.03 sending, 0.016 verifying).
test('a row gives before, after, the change and whether the targets hold', () => {
  const ceiling = measurement(20_000)
  const send = row('send-otp', ceiling, [measurement(3000), measurement(2000)], 0.25)
  assert.equal(send.before.ratio, 0.15)
  assert.equal(send.after.ratio, 0.1)
  assert.equal(send.change, -0.333)
  assert.equal(send.peerFloor, 0.12)
  const verify = row('verify-otp (right code)', ceiling, [measurement(3000), measurement(2000)], 0.5)
  assert.equal(verify.peerFloor, 0.064)
  const refresh = row('refresh', ceiling, [measurement(5000), measurement(5500)], 0.25)
  assert.equal(refresh.change, 0.1)
  assert.equal(refresh.peerFloor, null)

  const report: Report = {
    startedAt: '2026-12-06T00:00:00.000Z',
    machine: { cpu: 'test', cores: 2, memoryGb: 24, os: 'Linux', node: 'v20' },
    builds: { before: '175f958 (before)', after: 'work tree (175f958)' },
    settings: {
      connections: 50,
      warmupSeconds: 3,
      durationSeconds: 10,
      slices: 5,
      logLevel: 'info',
      serverCommand: 'node dist/server.js',
    },
    passes: [{ backend: 'SQLite (embedded defaults)', rows: [send, refresh], notes: [] }],
  }
  const table = markdown(report)
  assert.match(table, /\| send-otp \| 20000 \| 3000 \| 2000 \| 0\.15 \| 0\.1 \| −33\.3 % ✗ \| 0\.12 ✗ \|/)
  assert.match(table, /\| refresh \| 20000 \| 5000 \| 5500 \| 0\.25 \| 0\.275 \| \+10 % ✓ \| — \|/)
  assert.match(table, /- \*\*before\*\*: 175f958 \(before\)/)
  assert.match(table, /No scenario may lose more than 25 % of its throughput here\./)
})

// `npm run bench` itself, cut down to a second per scenario and one connection so it stays light beside the
// other suites: it must build a revision outside the checkout, start the ceiling and two services, drive
// every scenario in turns and report before and after. The numbers are the benchmark's business, not the
// tests'. HEAD against itself: one build, whatever state the work tree is in.
test('the benchmark builds a revision and reports every scenario before and after', async (t) => {
  const results = mkdtempSync(join(tmpdir(), 'royal-taxi-bench-results-'))
  t.after(() => rmSync(results, { recursive: true, force: true }))
  const args = ['--compare', 'HEAD', '--against', 'HEAD', '--only', 'sqlite']
  const load = ['--duration', '1', '--warmup', '0', '--connections', '1', '--results', results]
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args, ...load], {
    cwd: ROOT,
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  })
  assert.match(stdout, /send-otp: ceiling \d+ req\/s; before \d+ req\/s = [\d.]+,/)

  const report = JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8'))
  assert.match(report.builds.before, /^[0-9a-f]{7,} \(.+\)$/)
  assert.equal(report.builds.after, report.builds.before)
  const [pass, ...others] = report.passes
  assert.equal(others.length, 0)
  assert.equal(pass.backend, 'SQLite (embedded defaults)')
  assert.deepEqual(
    pass.rows.map((r: { scenario: string }) => r.scenario),
    [
      'send-otp',
      'verify-otp (wrong code)',
      'verify-otp (right code)',
      'refresh',
      'send-otp via Twilio (fake, 5 ms)',
    ],
  )
  for (const r of pass.rows) {
    assert.ok(r.ceiling.requestsPerSecond > 0 && r.ceiling.unexpected === 0, `${r.scenario}: its ceiling`)
    for (const side of [r.before, r.after]) {
      assert.ok(side.requestsPerSecond > 0, r.scenario)
      assert.equal(side.unexpected, 0, `${r.scenario}: every answer as expected`)
      assert.ok(side.peakRssMb > 0, `${r.scenario}: peak RSS`)
    }
    assert.equal(r.minChange, -0.25)
  }
  // The service runs as `npm start` starts it: with the node options of package.json's start script.
  const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string
  assert.equal(report.settings.serverCommand, start)
  assert.match(pass.notes[0], /^Twilio fake: \d+ messages over \d+ TCP connections/)

  const table = readFileSync(join(results, 'latest.md'), 'utf8')
  assert.match(table, /\| scenario \| ceiling req\/s \| before req\/s \| after req\/s \| before × ceiling \|/)
})
