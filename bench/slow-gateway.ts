// `npm run bench -- --slow-gateway`: a gateway that answers in 300 ms to 3 s must starve nothing. 10,000
// codes go out in one minute, at an even pace whatever the answers take (an open loop, as riders arrive),
// while verify-otp and refresh run beside them; the same side traffic is measured alone first. What it shows:
// every send answered, each send's time beyond what the gateway took for it (p99 within 50 ms), the
// server's memory and sockets, and the side traffic's latency with and without the sends.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent } from 'undici'
import { ask, type Child, machineTicks, processStats } from './processes.js'
import { nextPhone } from './scenarios.js'

export interface SlowGatewaySettings {
  codes: number
  seconds: number
  /** The gateway's fastest and slowest answer. */
  minMs: number
  maxMs: number
}

export const SLOW_GATEWAY: SlowGatewaySettings = { codes: 10_000, seconds: 60, minMs: 300, maxMs: 3000 }

/** The fake gateway's delay for a number: FNV-1a of it, spread evenly over [minMs, maxMs]. */
export function gatewayDelayMs(phone: string, minMs: number, maxMs: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < phone.length; i++) h = Math.imul(h ^ phone.charCodeAt(i), 0x01000193) >>> 0
  return minMs + (h % (maxMs - minMs + 1))
}

/** The value below which `p` percent of `values` fall (nearest rank); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

export interface Latencies {
  count: number
  p50: number
  p99: number
  max: number
}

export const latencies = (values: readonly number[]): Latencies => ({
  count: values.length,
  p50: Math.round(percentile(values, 50)),
  p99: Math.round(percentile(values, 99)),
  max: Math.round(Math.max(0, ...values)),
})

/** When each of `codes` sends starts, in ms from the start: evenly over `seconds`. */
export const schedule = (codes: number, seconds: number): number[] =>
  Array.from({ length: codes }, (_, i) => (i * seconds * 1000) / codes)

/** A process's resident memory now and its open sockets, from /proc (zeros where it is missing). */
export function footprint(pid: number): { rssMb: number; sockets: number } {
  try {
    const rss = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? 0)
    let sockets = 0
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++
      } catch {
        // closed while listed
      }
    }
    return { rssMb: Math.round(rss / 1024), sockets }
  } catch {
    return { rssMb: 0, sockets: 0 }
  }
}

// Enough connections to the service that the driver never queues: each send waits up to 3 s.
const client = new Agent({ connections: 2048, keepAliveTimeout: 60_000 })

async function post(
  url: string,
  path: string,
  body: object,
): Promise<{ status: number; json: { refresh_token?: string } | null }> {
  const res = await client.request({
    origin: url,
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await res.body.text()
  return { status: res.statusCode, json: text ? JSON.parse(text) : null }
}

interface Pending {
  phone: string
  code: string
}

/**
 * Sends a code to `count` new numbers, 100 at a time (all at once would queue past SMS_TIMEOUT_MS in the
 * gateway pool, and a code whose send timed out is withdrawn), and reads the codes the fake received.
 */
async function codesFor(server: Child, gateway: Child, count: number): Promise<Pending[]> {
  const phones = Array.from({ length: count }, () => nextPhone())
  for (let i = 0; i < phones.length; i += 100)
    await Promise.all(
      phones.slice(i, i + 100).map((phone) => post(server.url, '/api/v1/auth/send-otp', { phone })),
    )
  const codes = await ask<(string | null)[]>(gateway, { codes: phones }, 'codes')
  return phones.flatMap((phone, i) => (codes[i] ? [{ phone, code: codes[i] as string }] : []))
}

/** verify-otp with right codes and refresh with rotating tokens, each paced, until `stop` resolves. */
async function sideTraffic(url: string, codes: Pending[], tokens: string[], stop: Promise<void>) {
  const verify: number[] = []
  const refresh: number[] = []
  let failed = 0
  let done = false
  const keep = (token: string | undefined) => {
    if (token) tokens.push(token)
  }
  void stop.then(() => {
    done = true
  })
  const loop = async (step: () => Promise<void>, pauseMs: number) => {
    while (!done) {
      await step()
      await sleep(pauseMs)
    }
  }
  const timed = async (into: number[], path: string, body: object) => {
    const started = performance.now()
    const res = await post(url, path, body)
    into.push(performance.now() - started)
    if (res.status !== 200) failed++
    return res
  }
  await Promise.all([
    ...Array.from({ length: 4 }, () =>
      loop(async () => {
        const p = codes.shift()
        if (p) keep((await timed(verify, '/api/v1/auth/verify-otp', p)).json?.refresh_token)
      }, 100),
    ),
    ...Array.from({ length: 4 }, () =>
      loop(async () => {
        const token = tokens.shift()
        if (token)
          keep((await timed(refresh, '/api/v1/auth/refresh', { refresh_token: token })).json?.refresh_token)
      }, 50),
    ),
  ])
  return { verify: latencies(verify), refresh: latencies(refresh), failed }
}

export interface SlowGatewayResult {
  settings: SlowGatewaySettings
  sends: {
    answered: number
    statuses: Record<string, number>
    latency: Latencies
    overhead: Latencies
    overheadP99By10s: number[]
  }
  alone: Awaited<ReturnType<typeof sideTraffic>>
  beside: Awaited<ReturnType<typeof sideTraffic>>
  server: {
    rssMbBefore: number
    rssMbPeak: number
    rssMbAfter: number
    socketsPeak: number
    /** The server's CPU time over the run's wall time (100: one core), and the machine's idle share. */
    cpuPercent: number
    machineIdlePercent: number | null
    /** The benchmark's own event-loop delay, p99: time it adds to every measurement. */
    driverLagP99Ms: number
  }
  gateway: { connections: number; maxOpen: number; messages: number }
}

/** The scenario against a running service whose HTTP gateway is the fake. */
export async function runSlowGateway(
  server: Child,
  gateway: Child,
  settings: SlowGatewaySettings = SLOW_GATEWAY,
): Promise<SlowGatewayResult> {
  // Sign-ins for the refresh tokens, and right codes for verify-otp: 2 a second for the whole run.
  const signIns = await codesFor(server, gateway, 40)
  const tokens: string[] = []
  for (const p of signIns)
    tokens.push((await post(server.url, '/api/v1/auth/verify-otp', p)).json?.refresh_token ?? '')
  const codes = await codesFor(server, gateway, 60 + settings.seconds * 45)
  const alone = await sideTraffic(server.url, codes, tokens, sleep(10_000))
  const rssMbBefore = footprint(server.pid).rssMb

  let rssMbPeak = rssMbBefore
  const cpuBefore = processStats(server.pid).cpuMs
  // The driver's own event-loop delay: what of a send's measured time is the driver's, not the server's.
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  const ticksBefore = machineTicks()
  let socketsPeak = 0
  const sampler = setInterval(() => {
    const f = footprint(server.pid)
    rssMbPeak = Math.max(rssMbPeak, f.rssMb)
    socketsPeak = Math.max(socketsPeak, f.sockets)
  }, 250)
  const statuses: Record<string, number> = {}
  const took: number[] = []
  const overhead: number[] = []
  /** The overheads of the sends started in each 10 s of the run: a queue that builds up shows as a trend. */
  const byTen: number[][] = []
  const started = performance.now()
  const sends = schedule(settings.codes, settings.seconds).map(async (at) => {
    await sleep(Math.max(0, at - (performance.now() - started)))
    const phone = nextPhone()
    const t0 = performance.now()
    let status = 'error'
    try {
      status = String((await post(server.url, '/api/v1/auth/send-otp', { phone })).status)
    } catch {
      // counted as "error"
    }
    const ms = performance.now() - t0
    statuses[status] = (statuses[status] ?? 0) + 1
    took.push(ms)
    overhead.push(ms - gatewayDelayMs(phone, settings.minMs, settings.maxMs))
    const tenth = Math.floor(at / 10_000)
    const bucket = byTen[tenth] ?? []
    bucket.push(overhead.at(-1) as number)
    byTen[tenth] = bucket
  })
  const all = Promise.all(sends).then(() => {})
  const beside = await sideTraffic(server.url, codes, tokens, all)
  clearInterval(sampler)
  const runMs = performance.now() - started
  lag.disable()
  const ticks = machineTicks()
  const busy = ticks.busy - ticksBefore.busy
  const idle = ticks.idle - ticksBefore.idle
  await sleep(2000)
  return {
    settings,
    sends: {
      answered: took.length,
      statuses,
      latency: latencies(took),
      overhead: latencies(overhead),
      overheadP99By10s: byTen.map((o) => latencies(o).p99),
    },
    alone,
    beside,
    server: {
      rssMbBefore,
      rssMbPeak,
      rssMbAfter: footprint(server.pid).rssMb,
      socketsPeak,
      cpuPercent: Math.round(((processStats(server.pid).cpuMs - cpuBefore) / runMs) * 100),
      machineIdlePercent: busy + idle > 0 ? Math.round((idle / (busy + idle)) * 100) : null,
      driverLagP99Ms: Math.round(lag.percentile(99) / 1e6),
    },
    gateway: await ask(gateway, { stats: true }, 'stats'),
  }
}

/** The result as the lines docs/SCALING.md records. */
export function slowGatewayMarkdown(r: SlowGatewayResult): string {
  const side = (name: string, a: Latencies, b: Latencies) =>
    `| ${name} | ${a.count} | ${a.p50} / ${a.p99} ms | ${b.count} | ${b.p50} / ${b.p99} ms |`
  return [
    `- sends: ${r.sends.answered} of ${r.settings.codes} answered (${Object.entries(r.sends.statuses)
      .map(([s, n]) => `${n} × ${s}`)
      .join(
        ', ',
      )}) in ${r.settings.seconds} s; time p50 ${r.sends.latency.p50} ms, p99 ${r.sends.latency.p99} ms, max ${r.sends.latency.max} ms`,
    `- beyond the gateway's own delay for each send: p50 ${r.sends.overhead.p50} ms, p99 ${r.sends.overhead.p99} ms, max ${r.sends.overhead.max} ms; p99 per 10 s: ${r.sends.overheadP99By10s.join(', ')} ms`,
    `- server memory (RSS): ${r.server.rssMbBefore} MB before, ${r.server.rssMbPeak} MB at the peak, ${r.server.rssMbAfter} MB after; open sockets at most ${r.server.socketsPeak} (the driver's connections included)`,
    `- CPU: the server ${r.server.cpuPercent} % of a core through the run; the machine (2 shared cores: the driver, the fake gateway, the server and whatever else runs) ${r.server.machineIdlePercent ?? '?'} % idle; the driver's own event-loop delay p99 ${r.server.driverLagP99Ms} ms`,
    `- the gateway: ${r.gateway.messages} messages over ${r.gateway.connections} connections, at most ${r.gateway.maxOpen} open at once`,
    '',
    '| side traffic | alone: requests | p50 / p99 | beside the sends: requests | p50 / p99 |',
    '| --- | ---: | ---: | ---: | ---: |',
    side('verify-otp (right code)', r.alone.verify, r.beside.verify),
    side('refresh', r.alone.refresh, r.beside.refresh),
    `\nside requests not answered 200: ${r.alone.failed} alone, ${r.beside.failed} beside the sends`,
  ].join('\n')
}
