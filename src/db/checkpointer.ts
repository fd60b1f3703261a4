import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

// The server's SQLite log is copied into the database file on a worker thread, so the event loop mostly
// does not. SQLite's own automatic checkpoint runs inside whichever COMMIT crosses its size: it copies the
// log and syncs the file there and then, on the thread that serves requests. Here a second connection runs
// a PASSIVE checkpoint every 50 ms: it never blocks the writer nor waits for a reader, and a page written many
// times in between (a hot counter) is copied once. The server's connection keeps a rare automatic checkpoint
// of its own (sqlite.ts): under steady writes only the writer's checkpoint finds the log fully copied and
// lets it start over. Measured in docs/SCALING.md.
//
// The worker is plain JavaScript run with `eval`: the same whether the service runs compiled or from source
// (tsx's loader does not reach a worker thread).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const SQLite = require(workerData.driver)
const db = new SQLite(workerData.path)
db.pragma('busy_timeout = 5000')
// Never sooner than a short gap after the last pass: back-to-back passes on a loaded machine held the
// checkpoint lock so steadily that the writer's own checkpoint, which lets the log start over, never got it.
let timer
const pass = () => {
  const started = Date.now()
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (err) {
    parentPort.postMessage(err instanceof Error ? err.message : String(err))
  }
  timer = setTimeout(pass, Math.max(workerData.gapMs, workerData.intervalMs - (Date.now() - started)))
}
timer = setTimeout(pass, workerData.intervalMs)
parentPort.on('message', () => {
  clearTimeout(timer)
  db.close()
  parentPort.close()
})
`

const INTERVAL_MS = 50
const GAP_MS = 10

/**
 * Starts checkpointing the database at `path` on a worker thread. `stop` resolves once the thread's
 * connection is closed and the thread has exited. A failed pass is reported through `onWarning`: the
 * server's connection is unaffected, the log only grows until a pass succeeds.
 */
export function startCheckpointer(
  path: string,
  onWarning: (message: string) => void,
): { stop(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // Not the parent's flags: --input-type=module would make this source an ES module.
    execArgv: [],
    workerData: { path, driver, intervalMs: INTERVAL_MS, gapMs: GAP_MS },
  })
  // Requests never wait on it, and it must not hold the process open.
  worker.unref()
  worker.on('message', (m: string) =>
    onWarning(`SQLite checkpoint failed (the log grows until one succeeds): ${m}`),
  )
  worker.on('error', (err) => onWarning(`the SQLite checkpoint thread stopped: ${err.message}`))
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    stop() {
      worker.ref() // or the process may exit before the exit it awaits
      worker.postMessage('close')
      return exited
    },
  }
}
