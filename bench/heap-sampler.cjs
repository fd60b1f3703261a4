// Preloaded into the service by `npm run bench -- --sample-heap`: once a second it appends one JSON line to the
// file named by BENCH_HEAP_SAMPLES (heap-<pass>.jsonl beside the results) with the RSS, V8's heap spaces
// (used and committed MB), the event loop's delay (p99 and max, ms) and that second's garbage collections
// (count, total and longest pause, ms), so that a peak RSS or a p99 in the table can be traced to what the
// process was doing; the first line also has the options node was started with. Plain CommonJS: it runs inside the compiled service, where no TypeScript loader is.
const { appendFileSync } = require('node:fs')
const { monitorEventLoopDelay, PerformanceObserver, constants } = require('node:perf_hooks')
const v8 = require('node:v8')

const file = process.env.BENCH_HEAP_SAMPLES
if (!file) throw new Error('heap-sampler.cjs: BENCH_HEAP_SAMPLES names no file')
const MB = 1024 * 1024
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'markCompact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
}

const delay = monitorEventLoopDelay({ resolution: 1 })
delay.enable()
let gc = {}
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[entry.detail?.kind] ?? 'other'
    gc[kind] ??= { n: 0, ms: 0, maxMs: 0 }
    const g = gc[kind]
    g.n++
    g.ms += entry.duration
    g.maxMs = Math.max(g.maxMs, entry.duration)
  }
}).observe({ entryTypes: ['gc'] })

const round = (x) => Math.round(x * 10) / 10
let first = true
setInterval(() => {
  const spaces = {}
  for (const s of v8.getHeapSpaceStatistics())
    if (s.physical_space_size > MB)
      spaces[s.space_name] = [round(s.space_used_size / MB), round(s.physical_space_size / MB)]
  const gcs = {}
  for (const [kind, g] of Object.entries(gc)) gcs[kind] = { n: g.n, ms: round(g.ms), maxMs: round(g.maxMs) }
  gc = {}
  appendFileSync(
    file,
    `${JSON.stringify({
      at: new Date().toISOString(),
      // The options node was started with (the benchmark gives the service those of `npm start`).
      ...(first ? { execArgv: process.execArgv } : {}),
      rssMb: round(process.memoryUsage.rss() / MB),
      spaces,
      loopDelayMs: { p99: round(delay.percentile(99) / 1e6), max: round(delay.max / 1e6) },
      gc: gcs,
    })}\n`,
  )
  delay.reset()
  first = false
}, 1000).unref()
