// `npm run bench`: two builds of the service, before and after a change, measured in one run against the
// ceiling of their own HTTP stack, on SQLite and on PostgreSQL + Redis (docs/BENCHMARK.md).
// Options: --compare REV (the "before" build; 175f958, the commit before issue 28's storage seam)
//          --against REV (the "after" build; the work tree unless set)
//          --duration S (10) --warmup S (3) --connections N (50) --log-level L (info)
//          --only sqlite|postgres   --scenario send|wrong|right|refresh|twilio (repeatable; all by default)
//          --profile (node --cpu-prof into <results>/profiles)   --results DIR (bench/results)
//          --docs (write the table into docs/SCALING.md)
//          --slow-gateway: instead, the slow-gateway scenario on the work tree (bench/slow-gateway.ts), on
//          SQLite, or PostgreSQL + Redis with --only postgres; --codes N (10000) --seconds S (60)
//          --gateway-ms MIN-MAX (300-3000: how long the fake gateway takes to answer)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type Build, buildRevision, buildWorkTree } from './builds.js'
import { SQLITE, sharedEngine } from './engines.js'
import { type LoadSettings, slicesOf } from './load.js'
import { type PassOptions, runPass } from './passes.js'
import { ROOT, startHelper, startOptions, startService } from './processes.js'
import { machine, markdown, type Pass, type Report } from './report.js'
import { SCENARIOS, type ScenarioName } from './scenarios.js'
import { runSlowGateway, SLOW_GATEWAY, slowGatewayMarkdown } from './slow-gateway.js'

const { values: args } = parseArgs({
  options: {
    compare: { type: 'string', default: '175f958' },
    against: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'log-level': { type: 'string', default: 'info' },
    only: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    profile: { type: 'boolean', default: false },
    results: { type: 'string' },
    docs: { type: 'boolean', default: false },
    'slow-gateway': { type: 'boolean', default: false },
    codes: { type: 'string', default: String(SLOW_GATEWAY.codes) },
    seconds: { type: 'string', default: String(SLOW_GATEWAY.seconds) },
    'gateway-ms': { type: 'string', default: `${SLOW_GATEWAY.minMs}-${SLOW_GATEWAY.maxMs}` },
  },
})

for (const name of args.scenario ?? [])
  if (!SCENARIOS.includes(name as ScenarioName))
    throw new Error(`--scenario ${name}: one of ${SCENARIOS.join(', ')}`)
if (args.only !== undefined && args.only !== 'sqlite' && args.only !== 'postgres')
  throw new Error(`--only ${args.only}: sqlite or postgres`)

const load: LoadSettings = {
  connections: Number(args.connections),
  warmupSeconds: Number(args.warmup),
  durationSeconds: Number(args.duration),
}
const RESULTS = args.results ?? join(ROOT, 'bench', 'results')
const options: PassOptions = {
  load,
  selected: (name) => !args.scenario || args.scenario.includes(name),
  logLevel: args['log-level'] as string,
  ...(args.profile ? { profiles: join(RESULTS, 'profiles') } : {}),
}

/** Replaces the table between the markers of docs/SCALING.md. */
function writeDocs(table: string): void {
  const path = join(ROOT, 'docs', 'SCALING.md')
  const text = readFileSync(path, 'utf8')
  const start = '<!-- bench:start -->'
  const end = '<!-- bench:end -->'
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  if (a < 0 || b < a) throw new Error(`docs/SCALING.md has no ${start} … ${end} block`)
  writeFileSync(path, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`)
}

async function measure(builds: Build[]): Promise<Pass[]> {
  const passes: Pass[] = []
  if (args.only !== 'postgres') passes.push(await runPass(SQLITE, builds, options))
  const { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } = process.env
  if (args.only !== 'sqlite') {
    if (databaseUrl?.startsWith('postgres') && redisUrl)
      passes.push(await runPass(sharedEngine(databaseUrl, redisUrl), builds, options))
    else console.log('\nPostgreSQL + Redis pass skipped: set DATABASE_URL (postgres://…) and REDIS_URL')
  }
  return passes
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString()
  const before = buildRevision(args.compare as string, 'before')
  const builds: Build[] = [before]
  try {
    if (args.against === undefined) builds.push(buildWorkTree('after'))
    else if (args.against === args.compare) builds.push({ ...before, label: 'after', remove: () => {} })
    else builds.push(buildRevision(args.against, 'after'))
    const passes = await measure(builds)
    const [, after] = builds as [Build, Build]
    const report: Report = {
      startedAt,
      machine: machine(),
      builds: { before: before.source, after: after.source },
      settings: {
        ...load,
        slices: slicesOf(load),
        logLevel: options.logLevel,
        serverCommand: ['node', ...startOptions(after.root), 'dist/server.js'].join(' '),
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
    if (args.docs) writeDocs(table)
    console.log(`\n${table}\n\nWritten to ${RESULTS}/${stamp}.{json,md} and ${RESULTS}/latest.{json,md}`)
  } finally {
    for (const build of builds) build.remove()
  }
}

/** The slow-gateway scenario: the work tree's service sending through the fake HTTP gateway. */
async function slowGateway(): Promise<void> {
  const [minMs, maxMs] = (args['gateway-ms'] as string).split('-').map(Number)
  if (!Number.isInteger(minMs) || !Number.isInteger(maxMs) || (minMs as number) > (maxMs as number))
    throw new Error(`--gateway-ms ${args['gateway-ms']}: MIN-MAX in milliseconds, e.g. 300-3000`)
  const settings = {
    codes: Number(args.codes),
    seconds: Number(args.seconds),
    minMs: minMs as number,
    maxMs: maxMs as number,
  }
  const build = buildWorkTree('after')
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-slow-'))
  const { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } = process.env
  const engine =
    args.only === 'postgres' && databaseUrl && redisUrl ? sharedEngine(databaseUrl, redisUrl) : SQLITE
  const storage = await engine.open(dir)
  const gateway = await startHelper('slow-fake.ts', [String(settings.minMs), String(settings.maxMs)])
  try {
    const server = await startService(
      build.root,
      {
        APP_ENV: 'development',
        SECRET_KEY: 'benchmark-secret-key-0123456789-abcdefghijklmnop',
        LOG_LEVEL: args['log-level'] as string,
        LOG_FILE: join(dir, 'app.log'),
        HTTP_SMS_URL: `${gateway.url}/send`,
        HTTP_SMS_SECRET: 'benchmark-gateway-secret',
        // Every request comes from 127.0.0.1 and each number once: the per-IP limits and the pumping
        // detector (which would see 10,000 codes a minute as an attack) are lifted.
        OTP_IP_LIMIT_PER_MINUTE: '1000000',
        VERIFY_IP_LIMIT_PER_MINUTE: '1000000',
        REFRESH_IP_LIMIT_PER_MINUTE: '1000000',
        PUMPING_MAX_CODES_PER_PREFIX: '1000000',
        PUMPING_MIN_VERIFY_RATE: '0',
        ...storage.env,
      },
      dir,
    )
    try {
      console.log(`slow gateway on ${engine.name}: ${settings.codes} codes in ${settings.seconds} s`)
      const result = await runSlowGateway(server, gateway, settings)
      const m = machine()
      const text = `${engine.name}; ${m.cpu}, ${m.cores} cores, ${m.node}\n\n${slowGatewayMarkdown(result)}`
      mkdirSync(RESULTS, { recursive: true })
      writeFileSync(join(RESULTS, 'slow-gateway.json'), `${JSON.stringify(result, null, 2)}\n`)
      console.log(`\n${text}\n\nWritten to ${RESULTS}/slow-gateway.json`)
    } finally {
      await server.stop()
    }
  } finally {
    await gateway.stop()
    await storage.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (args['slow-gateway']) await slowGateway()
else await main()
