// `npm run bench`: the service against the ceiling of its own HTTP stack, each scenario measured in turns
// with the ceiling (bench/load.ts, `measurePaired`).
// Options: --duration S (10) --warmup S (3) --connections N (50) --log-level L (info) --only sqlite|postgres
//          --only twilio (just the Twilio row) --no-twilio --profile (node --cpu-prof into bench/results/profiles) --readme (update the README table)
//          --scenario send|wrong|right|refresh (measure one scenario, e.g. to profile it alone; repeatable)
//          --results DIR (where the JSON and Markdown go; bench/results by default)
//          --sample-heap (memory, loop delay and GC of the service each second, into heap-<pass>.jsonl beside the results)
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import pg from 'pg'
import {
  type LoadSettings,
  type Measurement,
  measurePaired,
  prepare,
  type Scenario,
  slicesOf,
} from './load.js'
import { ask, type Child, ROOT, startHelper, startOptions, startService } from './processes.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'log-level': { type: 'string', default: 'info' },
    only: { type: 'string' },
    'no-twilio': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    results: { type: 'string' },
    readme: { type: 'boolean', default: false },
    'sample-heap': { type: 'boolean', default: false },
  },
})

const load: LoadSettings = {
  connections: Number(args.connections),
  warmupSeconds: Number(args.warmup),
  durationSeconds: Number(args.duration),
}
const LOG_LEVEL = args['log-level'] as string
/** Whether a scenario is measured in this run: all of them unless --scenario names some. */
const selected = (name: 'send' | 'wrong' | 'right' | 'refresh') =>
  !args.scenario || args.scenario.includes(name)
const RESULTS = args.results ?? join(ROOT, 'bench', 'results')
const PROFILES = join(RESULTS, 'profiles')
const SECRET_KEY = 'benchmark-secret-key-0123456789-abcdefghijklmnop'
const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`
const TWILIO_DELAY_MS = 5

// ---- distinct valid Uzbek mobile numbers ------------------------------------------------------------------
const PREFIXES = [
  '90',
  '91',
  '93',
  '94',
  '97',
  '99',
  '88',
  '95',
  '33',
  '50',
  '77',
  '98',
  '20',
  '70',
  '87',
  '80',
]
let phoneSeq = 0
/**
 * The subscriber digits are the counter written backwards, so consecutive numbers differ in their leading
 * digits: the SMS-pumping guard counts codes per prefix (the number without its last digits), and a run of
 * neighbouring numbers would look like exactly the attack it blocks.
 */
function nextPhone(): string {
  const n = phoneSeq++
  const prefix = PREFIXES[n % PREFIXES.length] as string
  const subscriber = String(Math.floor(n / PREFIXES.length) % 10_000_000)
    .padStart(7, '0')
    .split('')
    .reverse()
    .join('')
  return `+998${prefix}${subscriber}`
}

// ---- scenarios ----------------------------------------------------------------------------------------------
const sendOtp = (name = 'send-otp'): Scenario => ({
  name,
  path: '/api/v1/auth/send-otp',
  expectedStatus: 200,
  body: () => `{"phone":"${nextPhone()}"}`,
})

const ceilingScenario: Scenario = { ...sendOtp('ceiling'), path: '/ceiling' }

interface Pending {
  phone: string
  code: string
}

/** Sends `amount` codes and keeps what development mode answers: the number and its code. */
async function prepareCodes(server: Child, amount: number): Promise<Pending[]> {
  const codes: Pending[] = []
  await prepare(
    server,
    {
      ...sendOtp('prepare codes'),
      onResponse: (status, body) => {
        if (status !== 200) return
        const phone = body.match(/"phone":"(\+\d+)"/)?.[1]
        const code = body.match(/"otp_code":"(\d+)"/)?.[1]
        if (phone && code) codes.push({ phone, code })
      },
    },
    amount,
    load.connections,
  )
  return codes
}

function wrongCode(code: string): string {
  return code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10)
}

function verifyOtp(name: string, expectedStatus: number, pick: (i: number) => Pending): Scenario {
  let i = 0
  return {
    name,
    path: '/api/v1/auth/verify-otp',
    expectedStatus,
    body: () => {
      const p = pick(i++)
      return `{"phone":"${p.phone}","code":"${p.code}"}`
    },
  }
}

/**
 * Wrong codes, spread over the prepared numbers: each takes at most 4 of its 5 attempts, so it stays valid
 * for the right-code scenario after it.
 */
const verifyWrong = (pool: Pending[]) =>
  verifyOtp('verify-otp (wrong code)', 400, (i) => {
    const p = pool[i % pool.length] as Pending
    return { phone: p.phone, code: wrongCode(p.code) }
  })

/** Each prepared code once; past the end of the pool, numbers without a code (answered 400, counted). */
const verifyRight = (pool: Pending[]) =>
  verifyOtp('verify-otp (right code)', 200, (i) => pool[i] ?? { phone: nextPhone(), code: '000000' })

/**
 * Refresh tokens work once. A queue starts with a few hundred (from real sign-ins); each request takes one,
 * each answer puts its successor back, so the queue never runs dry while answers are 200.
 */
function refresh(tokens: string[]): Scenario {
  return {
    name: 'refresh',
    path: '/api/v1/auth/refresh',
    expectedStatus: 200,
    body: () => `{"refresh_token":"${tokens.shift() ?? 'exhausted'}"}`,
    onResponse: (status, body) => {
      const token = status === 200 ? body.match(/"refresh_token":"([^"]+)"/)?.[1] : undefined
      if (token) tokens.push(token)
    },
  }
}

async function signIns(server: Child, count: number): Promise<string[]> {
  const tokens: string[] = []
  const post = async (path: string, body: object) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as Record<string, string>
  }
  for (let i = 0; i < count; i++) {
    const sent = await post('/api/v1/auth/send-otp', { phone: nextPhone() })
    const session = await post('/api/v1/auth/verify-otp', { phone: sent.phone, code: sent.otp_code })
    tokens.push(session.refresh_token as string)
  }
  return tokens
}

// ---- passes ------------------------------------------------------------------------------------------------
interface Row extends Measurement {
  scenario: string
  /** The ceiling, measured in turns with the scenario (`measurePaired`): what its ratio is taken against. */
  ceiling: Measurement
  ratio: number
  target: number | null
}

interface Pass {
  backend: string
  rows: Row[]
  notes: string[]
}

interface Storage {
  name: string
  env: Record<string, string>
  targets: Record<string, number>
  /** Between a scenario's warm-up and its measured run. */
  settle?: () => Promise<void>
  cleanup: () => Promise<void>
}

const SQLITE_TARGETS = {
  'send-otp': 0.4,
  'verify-otp (right code)': 0.3,
  'verify-otp (wrong code)': 0.4,
  refresh: 0.3,
  'send-otp via Twilio (fake, 5 ms)': 0.4,
}
const SHARED_TARGETS = { 'send-otp': 0.2, 'verify-otp (right code)': 0.15, 'verify-otp (wrong code)': 0.15 }

function sqliteStorage(dir: string): Storage {
  return {
    name: 'SQLite (embedded defaults)',
    env: { DATABASE_URL: `sqlite:${join(dir, 'bench.db')}` },
    targets: SQLITE_TARGETS,
    cleanup: async () => {},
  }
}

async function sharedStorage(databaseUrl: string, redisUrl: string): Promise<Storage> {
  const schema = `bench_${randomBytes(5).toString('hex')}`
  const prefix = `bench:${randomBytes(5).toString('hex')}:`
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  await client.query(`create schema ${schema}`)
  await client.end()
  const url = new URL(databaseUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return {
    name: 'PostgreSQL + Redis',
    env: { DATABASE_URL: url.toString(), REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix },
    targets: SHARED_TARGETS,
    // What autovacuum does within a minute of a table's growth (autovacuum_naptime), done at once: the
    // schema is new, and PostgreSQL keeps the plan it chose for a prepared statement while the table was
    // empty (a sequential scan, then read on every run as the table grows) until the table is analyzed.
    settle: async () => {
      const c = new pg.Client({ connectionString: url.toString() })
      await c.connect()
      try {
        const { rows } = await c.query<{ name: string }>(
          'select tablename as name from pg_tables where schemaname = $1',
          [schema],
        )
        for (const { name } of rows) await c.query(`analyze ${schema}.${name}`)
      } finally {
        await c.end()
      }
    },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: databaseUrl })
      await c.connect()
      await c.query(`drop schema ${schema} cascade`)
      await c.end()
      const redis = new Redis(redisUrl)
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        if (keys.length) await redis.del(...keys)
        cursor = next
      } while (cursor !== '0')
      redis.disconnect()
    },
  }
}

function nodeFlags(label: string): string[] {
  const flags = args['sample-heap'] ? ['--require', join(ROOT, 'bench', 'heap-sampler.cjs')] : []
  if (!args.profile) return flags
  mkdirSync(PROFILES, { recursive: true })
  return [
    ...flags,
    '--cpu-prof',
    '--cpu-prof-dir',
    PROFILES,
    '--cpu-prof-name',
    `${label}-${Date.now()}.cpuprofile`,
  ]
}

/** With --sample-heap, where the service's sampler writes (bench/heap-sampler.cjs): this run's file only. */
function samplerEnv(label: string): Record<string, string> {
  if (!args['sample-heap']) return {}
  mkdirSync(RESULTS, { recursive: true })
  const file = join(RESULTS, `heap-${label}.jsonl`)
  rmSync(file, { force: true })
  return { BENCH_HEAP_SAMPLES: file }
}

function serviceEnv(storage: Storage, dir: string): Record<string, string> {
  return {
    APP_ENV: 'development',
    SECRET_KEY,
    LOG_LEVEL,
    LOG_FILE: join(dir, 'app.log'),
    // The one benchmark setting, the per-IP limits lifted: every request comes from 127.0.0.1.
    OTP_IP_LIMIT_PER_MINUTE: '1000000',
    VERIFY_IP_LIMIT_PER_MINUTE: '1000000',
    REFRESH_IP_LIMIT_PER_MINUTE: '1000000',
    ...storage.env,
  }
}

/** How busy the server's event loop and the machine were during a measured run, for the console. */
function shares(m: Measurement): string {
  return `event loop ${m.eventLoopThreadBusyPercent} % busy, machine ${m.machineIdlePercent} % idle`
}

/** A scenario measured in turns with the ceiling, as a row of the table. */
function row(
  scenario: string,
  paired: { measured: Measurement; ceiling: Measurement },
  targets: Record<string, number>,
): Row {
  const { measured: m, ceiling } = paired
  const ratio = Math.round((m.requestsPerSecond / ceiling.requestsPerSecond) * 1000) / 1000
  console.log(
    `  ${scenario}: ${m.requestsPerSecond} req/s, ${ratio} of the ceiling's ${ceiling.requestsPerSecond}, ` +
      `p50 ${m.latencyP50Ms} ms, p99 ${m.latencyP99Ms} ms, non-2xx ${m.non2xx}, unexpected ${m.unexpected}, ` +
      `peak RSS ${m.peakRssMb} MB, ${m.serverCpuUsPerRequest} µs CPU/request, ${shares(m)}; ` +
      `the ceiling's ${shares(ceiling)}`,
  )
  return { scenario, ...m, ceiling, ratio, target: targets[scenario] ?? null }
}

async function runPass(storage: Storage, withTwilio: boolean): Promise<Pass> {
  console.log(`\n== ${storage.name}`)
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-bench-'))
  const notes: string[] = []
  const rows: Row[] = []
  // Up for the whole pass, idle while the service is driven: every scenario is measured in turns with it.
  const ceilingServer = await startHelper('ceiling.ts')
  const ceiling = { server: ceilingServer, scenario: ceilingScenario }
  const paired = async (scenario: Scenario, server: Child, settle?: () => Promise<void>) =>
    row(scenario.name, await measurePaired({ server, scenario }, ceiling, load, settle), storage.targets)
  try {
    const label = storage.env.REDIS_URL ? 'postgres' : 'sqlite'
    const server =
      args.only === 'twilio'
        ? null
        : await startService({ ...serviceEnv(storage, dir), ...samplerEnv(label) }, dir, nodeFlags(label))
    if (server)
      try {
        // Without a send-otp run, its rate is taken as 3000/s for sizing the pool of codes.
        let sendRate = 3000
        if (selected('send')) {
          const send = await paired(sendOtp(), server, storage.settle)
          rows.push(send)
          sendRate = send.requestsPerSecond
        }

        if (selected('wrong') || selected('right')) {
          // Enough codes for the right-code run even if it goes 3× faster than send-otp did (it has gone
          // 2.3×); past the pool's end its answers count as unexpected, so a short pool shows in the table.
          const seconds = load.warmupSeconds + load.durationSeconds
          const pool = await prepareCodes(server, Math.max(2000, Math.ceil(sendRate * seconds * 3)))
          if (selected('wrong')) rows.push(await paired(verifyWrong(pool), server, storage.settle))
          if (selected('right')) rows.push(await paired(verifyRight(pool), server, storage.settle))
        }

        if (selected('refresh')) {
          // Every run that stops (the warm-up, each slice) loses the successors of the requests then in
          // flight, one token a connection; four tokens a connection are left over.
          const tokens = await signIns(server, load.connections * (slicesOf(load) + 5))
          rows.push(await paired(refresh(tokens), server, storage.settle))
        }
      } finally {
        await server.stop()
      }

    if (withTwilio) {
      const fake = await startHelper('twilio-fake.ts', [String(TWILIO_DELAY_MS)])
      const twilioDir = mkdtempSync(join(dir, 'twilio-'))
      try {
        const env = {
          ...serviceEnv(sqliteStorage(twilioDir), twilioDir),
          ...samplerEnv('twilio'),
          TWILIO_ENABLED: 'true',
          TWILIO_ACCOUNT_SID: TWILIO_SID,
          TWILIO_AUTH_TOKEN: '0123456789abcdef'.repeat(2),
          TWILIO_PHONE_NUMBER: '+15017122661',
          TWILIO_API_BASE_URL: fake.url,
        }
        const twilioServer = await startService(env, twilioDir, nodeFlags('twilio'))
        try {
          rows.push(await paired(sendOtp('send-otp via Twilio (fake, 5 ms)'), twilioServer))
          const stats = await ask<{ connections: number; messages: number }>(fake, { stats: true }, 'stats')
          notes.push(
            `Twilio fake: ${stats.messages} messages over ${stats.connections} TCP connections (keep-alive), answering after ${TWILIO_DELAY_MS} ms.`,
          )
          console.log(`  ${notes.at(-1)}`)
        } finally {
          await twilioServer.stop()
        }
      } finally {
        await fake.stop()
      }
    }
    return { backend: storage.name, rows, notes }
  } finally {
    await ceilingServer.stop()
    await storage.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }
}
// ---- report ------------------------------------------------------------------------------------------------
function machine() {
  const cpu = cpus()
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    os: `Linux ${release()}`,
    node: process.version,
  }
}

const P99_TARGET_MS = 15
const RSS_TARGET_MB = 200

function markdown(report: Report): string {
  const m = report.machine
  const lines = [
    `Run ${report.startedAt} on ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}. ` +
      `autocannon and the server share the cores. ${report.settings.connections} connections, ` +
      `${report.settings.warmupSeconds} s warm-up, ${report.settings.durationSeconds} s measured ` +
      `(each scenario and, in turns with it, the ceiling); ` +
      `LOG_LEVEL=${report.settings.logLevel}, logs to stdout (a file) and LOG_FILE. ` +
      `The service started as \`npm start\` does: \`${report.settings.serverCommand}\`.`,
    '',
  ]
  for (const pass of report.passes) {
    const ceilings = pass.rows.map((r) => r.ceiling.requestsPerSecond)
    const { slices } = report.settings
    lines.push(
      `**${pass.backend}** — each scenario measured in turns with the ceiling (bare Fastify, same body), ` +
        `${slices === 1 ? 'one slice' : `${slices} slices`} of each: the ceiling measured ${Math.min(...ceilings)}–${Math.max(...ceilings)} req/s over the pass.`,
      '',
    )
    lines.push(
      '| scenario | req/s | ceiling req/s | × ceiling | target | p50 ms | p99 ms | non-2xx | unexpected | peak RSS MB | server CPU µs/req | event loop busy % | machine idle % |',
    )
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
    for (const r of pass.rows) {
      const target = r.target === null ? '—' : `≥ ${r.target} ${r.ratio >= r.target ? '✓' : '✗'}`
      lines.push(
        `| ${r.scenario} | ${r.requestsPerSecond} | ${r.ceiling.requestsPerSecond} | ${r.ratio} | ${target} | ` +
          `${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.non2xx} | ${r.unexpected} | ${r.peakRssMb ?? '—'} | ` +
          `${r.serverCpuUsPerRequest ?? '—'} | ${r.eventLoopThreadBusyPercent ?? '—'} | ${r.machineIdlePercent ?? '—'} |`,
      )
    }
    for (const note of pass.notes) lines.push('', note)
    lines.push('')
  }
  lines.push(
    `Targets (embedded defaults): p99 ≤ ${P99_TARGET_MS} ms, peak RSS ≤ ${RSS_TARGET_MB} MB. ` +
      '"non-2xx" for a wrong code is every request by design (400 OTP_INVALID); "unexpected" counts answers ' +
      'other than the scenario expects, plus errors and timeouts. "event loop busy" is the share of the ' +
      "measured run's wall time that the server's main thread spent on a core (near 100: the event loop is " +
      'the bound, however much of the machine is left); "machine idle" is the share of all cores\' time that ' +
      'nothing used, the load generator, PostgreSQL and Redis included. "ceiling req/s" is the bare route ' +
      "measured in slices alternating with the scenario's (ceiling, scenario, scenario, ceiling, …), so that " +
      'both see the host at the same speed: on these shared hosts the ceiling has measured twice as fast ' +
      'at the end of a pass as at its start.',
  )
  return lines.join('\n')
}

interface Report {
  startedAt: string
  machine: ReturnType<typeof machine>
  settings: LoadSettings & { slices: number; logLevel: string; serverCommand: string }
  passes: Pass[]
}

function updateReadme(table: string): void {
  const path = join(ROOT, 'README.md')
  const readme = readFileSync(path, 'utf8')
  const start = '<!-- bench:start -->'
  const end = '<!-- bench:end -->'
  const a = readme.indexOf(start)
  const b = readme.indexOf(end)
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} block`)
  writeFileSync(path, `${readme.slice(0, a + start.length)}\n${table}\n${readme.slice(b)}`)
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString()
  const passes: Pass[] = []
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-bench-db-'))
  try {
    if (args.only !== 'postgres') passes.push(await runPass(sqliteStorage(dir), !args['no-twilio']))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const databaseUrl = process.env.DATABASE_URL
  const redisUrl = process.env.REDIS_URL
  if (args.only !== 'sqlite' && args.only !== 'twilio') {
    if (databaseUrl?.startsWith('postgres') && redisUrl)
      passes.push(await runPass(await sharedStorage(databaseUrl, redisUrl), false))
    else console.log('\nPostgreSQL + Redis pass skipped: set DATABASE_URL (postgres://…) and REDIS_URL')
  }

  const report: Report = {
    startedAt,
    machine: machine(),
    settings: {
      ...load,
      slices: slicesOf(load),
      logLevel: LOG_LEVEL,
      serverCommand: ['node', ...startOptions(), 'dist/server.js'].join(' '),
    },
    passes,
  }
  const table = markdown(report)
  mkdirSync(RESULTS, { recursive: true })
  const stamp = startedAt.replace(/[:.]/g, '-')
  for (const name of [stamp, 'latest']) {
    writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
    writeFileSync(join(RESULTS, `${name}.md`), `${table}\n`)
  }
  if (args.readme) updateReadme(table)
  console.log(`\n${table}\n\nWritten to ${RESULTS}/${stamp}.{json,md} and ${RESULTS}/latest.{json,md}`)
}

await main()
