// Driving load with autocannon: one scenario = a warm-up run, then measured slices taking turns with the
// ceiling's and the other build's (`measureInTurns`), with a request body made per request (distinct phone
// numbers, prepared codes, a queue of refresh tokens).
import autocannon from 'autocannon'
import { type Child, machineTicks, processStats, resetPeakRss } from './processes.js'

export interface LoadSettings {
  connections: number
  warmupSeconds: number
  durationSeconds: number
  /** How long a slice of a measurement in turns lasts, about (2 s unless set). */
  sliceSeconds?: number
}

export interface Scenario {
  name: string
  path: string
  /** The status every answer should have (200, or 400 for a wrong code). */
  expectedStatus: number
  /** Builds the next request's JSON body. */
  body: () => string
  /** Sees each answer; only set where the answer feeds later requests, since reading bodies costs. */
  onResponse?: (status: number, body: string) => void
}

export interface Measurement {
  requestsPerSecond: number
  total: number
  latencyP50Ms: number
  latencyP99Ms: number
  non2xx: number
  /** Answers with another status than expected, plus connection errors and timeouts. */
  unexpected: number
  statusCodes: Record<string, number>
  /** Peak resident set size of the server during warm-up and measurement; null when not measured. */
  peakRssMb: number | null
  /** Server CPU time (user + system, all its threads) per request during the measured run. */
  serverCpuUsPerRequest: number | null
  /**
   * Share of the measured run's wall time that the server's main thread, the one running the event loop,
   * spent on a core, in %. Near 100 the event loop is the bound: more requests cannot be taken in however
   * much of the machine is left.
   */
  eventLoopThreadBusyPercent: number | null
  /** Share of the whole machine's CPU time (all cores) left idle during the measured run, in %. */
  machineIdlePercent: number | null
}

async function fire(
  url: string,
  scenario: Scenario,
  connections: number,
  limit: { duration: number } | { amount: number },
  raw = false,
): Promise<autocannon.Result> {
  return await autocannon({
    url,
    connections,
    ...limit,
    // A raw result keeps its histograms encoded, so that slices can be added up (autocannon.aggregateResult).
    ...(raw ? { skipAggregateResult: true } : {}),
    // autocannon sees that a run's time is up only when it samples its counters: every second by default,
    // which would stretch a 0.25 s slice to a second and a 2 s one, by a hair, to 3.
    sampleInt: 50,
    requests: [
      {
        method: 'POST',
        path: scenario.path,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: scenario.body() }),
        ...(scenario.onResponse
          ? { onResponse: (status: number, body: string) => scenario.onResponse?.(status, body) }
          : {}),
      },
    ],
  } as autocannon.Options)
}

/** Sends exactly `amount` requests (preparation, not measured). */
export async function prepare(
  server: Child,
  scenario: Scenario,
  amount: number,
  connections: number,
): Promise<void> {
  const r = await fire(server.url, scenario, connections, { amount })
  // What did answer is still usable (each answer is read by onResponse); a short pool shows up later as
  // unexpected answers in the table.
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
    console.warn(
      `  preparing ${scenario.name}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts`,
    )
}

/** autocannon's own sum of raw results (its workers' way), which its type declarations leave out. */
const aggregateResult = (
  autocannon as unknown as {
    aggregateResult(results: autocannon.Result[], opts: { url: string }): autocannon.Result
  }
).aggregateResult

/** A server and the requests to drive it with. */
export interface Target {
  server: Child
  scenario: Scenario
}

/** What a target's measured slices add up to. */
class Tally {
  private readonly results: autocannon.Result[] = []
  private cpuMs = 0
  private mainThreadCpuMs = 0
  private wallMs = 0
  private machineBusy = 0
  private machineIdle = 0

  constructor(readonly target: Target) {}

  /** Drives the target for `seconds` and adds what it answered and what it cost. */
  async slice(connections: number, seconds: number): Promise<void> {
    const { server, scenario } = this.target
    const before = processStats(server.pid)
    const machineBefore = machineTicks()
    const startedAt = performance.now()
    this.results.push(await fire(server.url, scenario, connections, { duration: seconds }, true))
    this.wallMs += performance.now() - startedAt
    const after = processStats(server.pid)
    const machineAfter = machineTicks()
    this.cpuMs += after.cpuMs - before.cpuMs
    this.mainThreadCpuMs += after.mainThreadCpuMs - before.mainThreadCpuMs
    this.machineBusy += machineAfter.busy - machineBefore.busy
    this.machineIdle += machineAfter.idle - machineBefore.idle
  }

  measurement(): Measurement {
    // Latencies from the slices' histograms added together, not an average of their percentiles.
    const r = aggregateResult(this.results, { url: this.target.server.url })
    const total = r.requests.total
    const statusCodes: Record<string, number> = {}
    for (const [code, stat] of Object.entries(r.statusCodeStats ?? {}))
      statusCodes[code] = (stat as { count: number }).count
    const expected = statusCodes[String(this.target.scenario.expectedStatus)] ?? 0
    const answered = Object.values(statusCodes).reduce((a, b) => a + b, 0)
    const peak = processStats(this.target.server.pid).peakRssBytes
    const machine = this.machineBusy + this.machineIdle
    return {
      requestsPerSecond: this.wallMs > 0 ? Math.round((total * 1000) / this.wallMs) : 0,
      total,
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      non2xx: r.non2xx,
      unexpected: answered - expected + r.errors + r.timeouts,
      statusCodes,
      peakRssMb: peak ? Math.round((peak / 1024 / 1024) * 10) / 10 : null,
      serverCpuUsPerRequest: this.cpuMs && total ? Math.round((this.cpuMs * 1000) / total) : null,
      eventLoopThreadBusyPercent: this.mainThreadCpuMs
        ? Math.round((this.mainThreadCpuMs / this.wallMs) * 100)
        : null,
      machineIdlePercent: machine > 0 ? Math.round((this.machineIdle / machine) * 100) : null,
    }
  }
}

const SLICE_SECONDS = 2

/** How many slices a measurement in turns cuts each target's measured time into. */
export function slicesOf(load: LoadSettings): number {
  return Math.max(1, Math.round(load.durationSeconds / (load.sliceSeconds ?? SLICE_SECONDS)))
}

/**
 * Measures several targets in turns, a slice of each at a time, in their order and then in reverse (ceiling,
 * before, after, after, before, ceiling, …): a host that speeds up or slows down through the run weighs on
 * all alike. On a shared host the same bare route has measured 14,000 and 28,000 req/s minutes apart;
 * measured seconds apart, the targets see the same host and their ratios hold. Each gets `durationSeconds`
 * in all. All are warmed up first, in order; `settle` runs after the warm-ups.
 */
export async function measureInTurns(
  targets: Target[],
  load: LoadSettings,
  settle?: () => Promise<void>,
): Promise<Measurement[]> {
  const tallies = targets.map((target) => new Tally(target))
  for (const { server } of targets) resetPeakRss(server.pid)
  if (load.warmupSeconds > 0)
    for (const { server, scenario } of targets)
      await fire(server.url, scenario, load.connections, { duration: load.warmupSeconds })
  await settle?.()
  const slices = slicesOf(load)
  const seconds = load.durationSeconds / slices
  for (let i = 0; i < slices; i++)
    for (const tally of i % 2 === 0 ? tallies : [...tallies].reverse())
      await tally.slice(load.connections, seconds)
  return tallies.map((tally) => tally.measurement())
}
