// `npm run bench`: two builds of the service, before and after a change, measured in one run against the
// ceiling of their own HTTP stack, on SQLite and on PostgreSQL + Redis (docs/BENCHMARK.md).
// Options: --compare REV (the "before" build; 175f958, the commit before issue 28's storage seam)
//          --against REV (the "after" build; the work tree unless set)
//          --duration S (10) --warmup S (3) --connections N (50) --log-level L (info)
//          --only sqlite|postgres   --scenario send|wrong|right|refresh|twilio (repeatable; all by default)
//          --profile (node --cpu-prof into <results>/profiles)   --results DIR (bench/results)
//          --docs (write the table into docs/SCALING.md)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type Build, buildRevision, buildWorkTree } from './builds.js'
import { SQLITE, sharedEngine } from './engines.js'
import { type LoadSettings, slicesOf } from './load.js'
import { type PassOptions, runPass } from './passes.js'
import { ROOT, startOptions } from './processes.js'
import { machine, markdown, type Pass, type Report } from './report.js'
import { SCENARIOS, type ScenarioName } from './scenarios.js'

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

await main()
