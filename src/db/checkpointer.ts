import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

// A worker thread that checkpoints the server's SQLite write-ahead log, so the event loop mostly does not.
//
// SQLite's automatic checkpoint runs inside whichever COMMIT crosses 1000 pages of log: it copies those
// pages into the database file and syncs it, there and then, on the thread that serves requests. Here a
// second connection, on its own thread, runs a PASSIVE checkpoint every 50 ms: it never blocks the writer
// and never waits for a reader, and pages written many times between two checkpoints (the hot counters) are
// copied once. The server's connection keeps a rarer automatic checkpoint of its own, which finds the work
// done and lets the log start over (db/index.ts). Measured: 5 % less CPU per send-otp.
//
// The worker's code is plain JavaScript run with `eval`, so it is the same whether the service runs compiled
// (dist/) or from source (tsx, whose loader a worker thread does not inherit).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const SQLite = require(workerData.driver)
const db = new SQLite(workerData.path)
db.pragma('busy_timeout = 5000')
// A pass starts every interval, but never sooner than a short gap after the last one ended: on a loaded
// machine a pass (its sync above all) can take longer than the interval, and back-to-back passes held the
// checkpoint lock so steadily that the server's own checkpoint, which is what lets the log start over, never
// got it (the log grew to 250 MB of 64).
let timer
const pass = () => {
  const started = Date.now()
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) })
  }
  timer = setTimeout(pass, Math.max(workerData.gapMs, workerData.intervalMs - (Date.now() - started)))
}
timer = setTimeout(pass, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message !== 'close') return
  clearTimeout(timer)
  db.close()
  parentPort.close()
})
`

/**
 * How often the checkpointer copies the log into the database file. The server's own checkpoint
 * (db/index.ts) copies what the worker has not yet, inside a commit, on the event loop: at 250 ms that was
 * up to a quarter of a second of writes, commits of 15–30 ms, and those stalls were the p99 of every
 * scenario. At 50 ms they are a fifth; the worker's extra passes cost a few per cent of CPU, on the other
 * core (docs/SCALING.md).
 */
const CHECKPOINT_INTERVAL_MS = 50

/**
 * The least pause between two passes: the server's checkpoint, tried after each of its commits once the log
 * is past its size, needs the checkpoint lock free for a moment.
 */
const CHECKPOINT_GAP_MS = 10

/** The checkpoint thread; `stop` resolves once its connection is closed and the thread has exited. */
export interface Checkpointer {
  stop(): Promise<void>
}

/**
 * Starts checkpointing the database at `path` on a worker thread; the caller makes the connection's own
 * automatic checkpoint rarer (db/index.ts). A failure is reported through `onWarning` (the server's
 * connection is unaffected; the log only grows until a checkpoint succeeds).
 */
export function startCheckpointer(path: string, onWarning?: (message: string) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // Not the parent's flags: --input-type=module would make this source an ES module, and it needs none.
    execArgv: [],
    workerData: { path, driver, intervalMs: CHECKPOINT_INTERVAL_MS, gapMs: CHECKPOINT_GAP_MS },
  })
  // Requests never wait on it, and it must not hold the process open at exit.
  worker.unref()
  worker.on('message', (m: { error?: string }) => {
    if (m.error) onWarning?.(`SQLite checkpoint failed (the log grows until one succeeds): ${m.error}`)
  })
  worker.on('error', (err) => onWarning?.(`the SQLite checkpoint thread stopped: ${err.message}`))
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    // Awaited by the server's close: until the thread's connection is closed the log file stays, and a
    // directory removed right after close could see the thread write into it.
    stop: () => {
      worker.ref() // or the process may not wait for the exit it awaits
      worker.postMessage('close')
      return exited
    },
  }
}
