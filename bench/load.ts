// Driving load with autocannon: one scenario = a warm-up run, then a measured run, with a request body made
// per request (distinct phone numbers, prepared codes, a queue of refresh tokens).
import autocannon from 'autocannon'
import { type Child, machineTicks, processStats, resetPeakRss } from './processes.js'

export interface LoadSettings {
  connections: number
  warmupSeconds: number
  durationSeconds: number
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
): Promise<autocannon.Result> {
  return await autocannon({
    url,
    connections,
    ...limit,
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
  })
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

/**
 * Warms up, runs `settle` (the storage's upkeep between warm-up and measurement, if it has any), then
 * measures.
 */
export async function measure(
  server: Child,
  scenario: Scenario,
  load: LoadSettings,
  settle?: () => Promise<void>,
): Promise<Measurement> {
  resetPeakRss(server.pid)
  if (load.warmupSeconds > 0)
    await fire(server.url, scenario, load.connections, { duration: load.warmupSeconds })
  await settle?.()
  const before = processStats(server.pid)
  const machineBefore = machineTicks()
  const startedAt = performance.now()
  const r = await fire(server.url, scenario, load.connections, { duration: load.durationSeconds })
  const wallMs = performance.now() - startedAt
  const after = processStats(server.pid)
  const machineAfter = machineTicks()
  const machineBusy = machineAfter.busy - machineBefore.busy
  const machineIdle = machineAfter.idle - machineBefore.idle
  const statusCodes: Record<string, number> = {}
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {}))
    statusCodes[code] = (stat as { count: number }).count
  const expected = statusCodes[String(scenario.expectedStatus)] ?? 0
  const answered = Object.values(statusCodes).reduce((a, b) => a + b, 0)
  return {
    requestsPerSecond: Math.round(r.requests.average),
    total: r.requests.total,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    non2xx: r.non2xx,
    unexpected: answered - expected + r.errors + r.timeouts,
    statusCodes,
    peakRssMb: after.peakRssBytes ? Math.round((after.peakRssBytes / 1024 / 1024) * 10) / 10 : null,
    serverCpuUsPerRequest:
      after.cpuMs && r.requests.total
        ? Math.round(((after.cpuMs - before.cpuMs) * 1000) / r.requests.total)
        : null,
    eventLoopThreadBusyPercent: after.mainThreadCpuMs
      ? Math.round(((after.mainThreadCpuMs - before.mainThreadCpuMs) / wallMs) * 100)
      : null,
    machineIdlePercent:
      machineBusy + machineIdle > 0 ? Math.round((machineIdle / (machineBusy + machineIdle)) * 100) : null,
  }
}
