// One pass: every scenario on one storage engine, the ceiling and the two builds measured in turns.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Build } from './builds.js'
import type { Engine } from './engines.js'
import { type LoadSettings, measureInTurns, type Scenario, slicesOf } from './load.js'
import { ask, type Child, startHelper, startService } from './processes.js'
import { oneLine, type Pass, type Row, row } from './report.js'
import {
  ceilingScenario,
  type Pending,
  prepareCodes,
  refresh,
  type ScenarioName,
  sendOtp,
  signIns,
  verifyRight,
  verifyWrong,
} from './scenarios.js'

export interface PassOptions {
  load: LoadSettings
  selected: (name: ScenarioName) => boolean
  logLevel: string
  /** Where `node --cpu-prof` writes, when profiling. */
  profiles?: string
}

const SECRET_KEY = 'benchmark-secret-key-0123456789-abcdefghijklmnop'
const TWILIO_DELAY_MS = 5
const TWILIO_SCENARIO = 'send-otp via Twilio (fake, 5 ms)'
const TWILIO_ENV = {
  TWILIO_ENABLED: 'true',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: '0123456789abcdef'.repeat(2),
  TWILIO_PHONE_NUMBER: '+15017122661',
}

/** The services of one set of scenarios, one per build, and what runs between a warm-up and its slices. */
interface Services {
  servers: Child[]
  settle: () => Promise<void>
}

class PassRun {
  private readonly dir = mkdtempSync(join(tmpdir(), 'royal-taxi-bench-'))
  /** Run last first at the end: services stop before their stores are dropped. */
  private readonly cleanups: (() => Promise<void>)[] = []
  readonly rows: Row[] = []
  readonly notes: string[] = []

  private readonly engine: Engine
  private readonly builds: Build[]
  private readonly options: PassOptions
  private readonly ceiling: Child

  constructor(opts: { engine: Engine; builds: Build[]; options: PassOptions; ceiling: Child }) {
    this.engine = opts.engine
    this.builds = opts.builds
    this.options = opts.options
    this.ceiling = opts.ceiling
    this.cleanups.push(() => opts.ceiling.stop())
  }

  /** Each build's service, as `npm start` starts it, on a store and in a directory of its own. */
  async startServices(extraEnv: Record<string, string> = {}, name = this.engine.key): Promise<Services> {
    const servers: Child[] = []
    const settles: (() => Promise<void>)[] = []
    for (const build of this.builds) {
      const dir = mkdtempSync(join(this.dir, `${build.label}-`))
      const storage = await this.engine.open(dir)
      this.cleanups.push(storage.cleanup)
      if (storage.settle) settles.push(storage.settle)
      const env = {
        APP_ENV: 'development',
        SECRET_KEY,
        LOG_LEVEL: this.options.logLevel,
        LOG_FILE: join(dir, 'app.log'),
        // The one benchmark setting, the per-IP limits lifted: every request comes from 127.0.0.1.
        OTP_IP_LIMIT_PER_MINUTE: '1000000',
        VERIFY_IP_LIMIT_PER_MINUTE: '1000000',
        REFRESH_IP_LIMIT_PER_MINUTE: '1000000',
        ...storage.env,
        ...extraEnv,
      }
      const server = await startService(build.root, env, dir, this.profileFlags(`${name}-${build.label}`))
      this.cleanups.push(() => server.stop())
      servers.push(server)
    }
    return {
      servers,
      settle: async () => {
        for (const settle of settles) await settle()
      },
    }
  }

  private profileFlags(name: string): string[] {
    const dir = this.options.profiles
    if (!dir) return []
    mkdirSync(dir, { recursive: true })
    return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`]
  }

  /** A scenario (one per build: each has its own codes and tokens) measured in turns with the ceiling. */
  async measure(name: string, services: Services, scenarioOf: (build: number) => Scenario): Promise<Row> {
    const targets = [
      { server: this.ceiling, scenario: ceilingScenario },
      ...services.servers.map((server, i) => ({ server, scenario: scenarioOf(i) })),
    ]
    const [ceiling, ...sides] = await measureInTurns(targets, this.options.load, services.settle)
    if (!ceiling) throw new Error('measureInTurns measured nothing')
    const r = row(name, ceiling, sides, this.engine.maxLoss)
    console.log(`  ${oneLine(r)}`)
    this.rows.push(r)
    return r
  }

  /** Stops what was started since `mark` (a length of the clean-up list), last first. */
  async stopSince(mark: number): Promise<void> {
    for (const stop of this.cleanups.splice(mark).reverse()) await stop()
  }

  get mark(): number {
    return this.cleanups.length
  }

  async close(): Promise<void> {
    await this.stopSince(0)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** send-otp, both verifies and refresh, each build on its own store. */
async function storageScenarios(run: PassRun, options: PassOptions): Promise<void> {
  const { load, selected } = options
  const services = await run.startServices()
  const { servers } = services
  // Without a send-otp run, its rate is taken as 3000/s for sizing the pools of codes.
  let sendRates = servers.map(() => 3000)
  if (selected('send')) {
    const r = await run.measure('send-otp', services, () => sendOtp())
    sendRates = [r.before.requestsPerSecond, r.after.requestsPerSecond]
  }
  if (selected('wrong') || selected('right')) {
    // Enough codes for the right-code run even if it goes 3× faster than send-otp did (it has gone 2.3×);
    // past a pool's end its answers count as unexpected, so a short pool shows in the table.
    const seconds = load.warmupSeconds + load.durationSeconds
    const pools: Pending[][] = []
    for (const [i, server] of servers.entries()) {
      const amount = Math.max(2000, Math.ceil((sendRates[i] ?? 3000) * seconds * 3))
      pools.push(await prepareCodes(server, amount, load.connections))
    }
    const pool = (i: number) => pools[i] ?? []
    if (selected('wrong')) await run.measure('verify-otp (wrong code)', services, (i) => verifyWrong(pool(i)))
    if (selected('right')) await run.measure('verify-otp (right code)', services, (i) => verifyRight(pool(i)))
  }
  if (selected('refresh')) {
    // Every run that stops (the warm-up, each slice) loses the successors of the requests then in flight,
    // one token a connection; four tokens a connection are left over.
    const tokens: string[][] = []
    for (const server of servers) tokens.push(await signIns(server, load.connections * (slicesOf(load) + 5)))
    await run.measure('refresh', services, (i) => refresh(tokens[i] ?? []))
  }
}

/** send-otp with Twilio enabled, against a stand-in for its API that answers after 5 ms. */
async function twilioScenario(run: PassRun): Promise<void> {
  const fake = await startHelper('twilio-fake.ts', [String(TWILIO_DELAY_MS)])
  try {
    const services = await run.startServices({ ...TWILIO_ENV, TWILIO_API_BASE_URL: fake.url }, 'twilio')
    await run.measure(TWILIO_SCENARIO, services, () => sendOtp(TWILIO_SCENARIO))
    const stats = await ask<{ connections: number; messages: number }>(fake, { stats: true }, 'stats')
    run.notes.push(
      `Twilio fake: ${stats.messages} messages over ${stats.connections} TCP connections (keep-alive, both ` +
        `builds), answering after ${TWILIO_DELAY_MS} ms.`,
    )
    console.log(`  ${run.notes.at(-1)}`)
  } finally {
    await fake.stop()
  }
}

export async function runPass(engine: Engine, builds: Build[], options: PassOptions): Promise<Pass> {
  console.log(`\n== ${engine.name}`)
  const run = new PassRun({ engine, builds, options, ceiling: await startHelper('ceiling.ts') })
  try {
    if ((['send', 'wrong', 'right', 'refresh'] as const).some(options.selected)) {
      const mark = run.mark
      await storageScenarios(run, options)
      // These services stop before the Twilio ones start: the machine runs one pair at a time.
      await run.stopSince(mark)
    }
    if (engine.withTwilio && options.selected('twilio')) await twilioScenario(run)
    return { backend: engine.name, rows: run.rows, notes: run.notes }
  } finally {
    await run.close()
  }
}
