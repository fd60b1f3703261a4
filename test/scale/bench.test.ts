import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'node:test'
import { promisify } from 'node:util'
import { startOptions } from '../../bench/processes.js'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')

// `npm run bench` itself, cut down to a second per scenario and one connection so it stays light beside the
// other suites: it must start the ceiling and the service, drive every scenario and report them against the
// ceiling of the same run. The numbers themselves are the benchmark's business, not the tests'.
test('the benchmark runs every scenario against the ceiling and writes JSON and Markdown', async (t) => {
  const results = mkdtempSync(join(tmpdir(), 'royal-taxi-bench-results-'))
  t.after(() => rmSync(results, { recursive: true, force: true }))
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT })
  const load = ['--duration', '1', '--warmup', '0', '--connections', '1']
  const args = ['--only', 'sqlite', '--no-twilio', ...load, '--sample-heap']
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', ...args, '--results', results],
    { cwd: ROOT, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
  )
  assert.match(stdout, /send-otp: \d+ req\/s, [\d.]+ of the ceiling's \d+,/)

  const report = JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8'))
  const [pass, ...others] = report.passes
  assert.equal(others.length, 0)
  assert.equal(pass.backend, 'SQLite (embedded defaults)')
  assert.deepEqual(
    pass.rows.map((r: { scenario: string }) => r.scenario),
    ['send-otp', 'verify-otp (wrong code)', 'verify-otp (right code)', 'refresh'],
  )
  for (const row of pass.rows) {
    assert.ok(row.requestsPerSecond > 0, row.scenario)
    // Each scenario against the ceiling measured in turns with it (bench/load.ts, measurePaired).
    assert.ok(
      row.ceiling.requestsPerSecond > 0 && row.ceiling.unexpected === 0,
      `${row.scenario}: its ceiling`,
    )
    assert.equal(row.ratio, Math.round((row.requestsPerSecond / row.ceiling.requestsPerSecond) * 1000) / 1000)
    assert.equal(typeof row.latencyP50Ms, 'number')
    assert.equal(typeof row.latencyP99Ms, 'number')
    assert.ok(row.peakRssMb > 0, `${row.scenario}: peak RSS`)
    assert.equal(typeof row.target, 'number', `${row.scenario}: its target`)
    assert.ok(row.eventLoopThreadBusyPercent > 0, `${row.scenario}: the event loop's share`)
    assert.equal(typeof row.machineIdlePercent, 'number', `${row.scenario}: the machine's idle share`)
  }
  const byName = Object.fromEntries(pass.rows.map((r: { scenario: string }) => [r.scenario, r]))
  assert.equal(byName['send-otp'].unexpected, 0, 'every code sent')
  assert.equal(byName['verify-otp (wrong code)'].non2xx, byName['verify-otp (wrong code)'].total)
  assert.equal(byName.refresh.unexpected, 0, 'every refresh answered 200')

  // --sample-heap: a line a second from inside the service, through the preparation and every scenario.
  const samples = readFileSync(join(results, 'heap-sqlite.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.ok(samples.length >= 4, `${samples.length} samples`)
  // The service runs as `npm start` starts it: with the node options of package.json's start script.
  const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string
  const options = startOptions()
  assert.ok(options.length > 0, start)
  assert.deepEqual(samples[0].execArgv.slice(0, options.length), options)
  assert.equal(report.settings.serverCommand, start)
  for (const s of samples) {
    assert.ok(s.rssMb > 0 && s.spaces.old_space[1] > 0, JSON.stringify(s))
    assert.equal(typeof s.loopDelayMs.p99, 'number')
  }
  assert.ok(
    samples.some((s) => s.gc.scavenge?.n > 0),
    'young-generation collections are counted',
  )

  const markdown = readFileSync(join(results, 'latest.md'), 'utf8')
  assert.match(markdown, /\| server CPU µs\/req \| event loop busy % \| machine idle % \|/)
  assert.match(markdown, /\| send-otp \| \d+ \| \d+ \| [\d.]+ \| ≥ 0\.4 [✓✗] \|/)
  assert.match(markdown, /\| scenario \| req\/s \| ceiling req\/s \| × ceiling \| target \|/)
  assert.match(
    markdown,
    /each scenario measured in turns with the ceiling \(bare Fastify, same body\), one slice of each: the ceiling measured \d+–\d+ req\/s/,
  )
})
