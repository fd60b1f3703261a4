// Child processes the benchmark drives: the ceiling, the service (a build's compiled dist/), the fake Twilio. Each runs
// in its own process so the load generator's work is not counted as theirs, and so their peak RSS and CPU
// time can be read from /proc.
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { openSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..')

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Linux's USER_HZ: /proc counts CPU time in hundredths of a second. */
const TICKS_PER_SECOND = 100

/** User + system CPU time in ms from a /proc `stat` file: fields 14 and 15, after the parenthesised name. */
function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

/**
 * Peak resident set size (VmHWM) and CPU time of a process, from /proc: all its threads, and its main
 * thread alone (the one running the event loop, whose thread id is the process id). Zeros where /proc is
 * missing.
 */
export function processStats(pid: number): { peakRssBytes: number; cpuMs: number; mainThreadCpuMs: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const hwm = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0) * 1024
    return {
      peakRssBytes: hwm,
      cpuMs: statCpuMs(`/proc/${pid}/stat`),
      mainThreadCpuMs: statCpuMs(`/proc/${pid}/task/${pid}/stat`),
    }
  } catch {
    return { peakRssBytes: 0, cpuMs: 0, mainThreadCpuMs: 0 }
  }
}

/** CPU time of the whole machine so far, all cores, in clock ticks: busy and idle (iowait counts as idle). */
export function machineTicks(): { busy: number; idle: number } {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n')
    const ticks = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice). Steal,
    // time the host gave to another machine, counts as busy: it was not this machine's to use.
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0)
    const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle
    return { busy, idle }
  } catch {
    return { busy: 0, idle: 0 }
  }
}

/** Resets the peak RSS mark (Linux ≥ 4.0), so the next reading is the peak since now. */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
  } catch {
    // Without clear_refs the reading is the peak since the process started: still an upper bound.
  }
}

export interface Child {
  proc: ChildProcess
  url: string
  pid: number
  stop(): Promise<void>
}

async function exited(proc: ChildProcess, timeoutMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      resolve()
    }, timeoutMs)
    proc.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Stopping sends SIGTERM and waits up to `graceMs` for the exit before SIGKILL. */
function child(proc: ChildProcess, url: string, graceMs: number): Child {
  return {
    proc,
    url,
    pid: proc.pid as number,
    async stop() {
      proc.kill('SIGTERM')
      await exited(proc, graceMs)
    },
  }
}

/** A TypeScript helper (ceiling, fake Twilio) that reports `{ ready: url }` over IPC once it listens. */
export async function startHelper(file: string, args: string[] = []): Promise<Child> {
  const proc = fork(join(import.meta.dirname, file), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('error', reject)
    proc.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)))
    proc.on('message', (msg: { ready?: string }) => {
      if (msg.ready) resolve(msg.ready)
    })
  })
  return child(proc, url, 5000)
}

/** Asks a helper for a message-shaped answer over IPC (the fake Twilio's counters). */
export async function ask<T>(child: Child, question: object, key: string): Promise<T> {
  return await new Promise<T>((resolve) => {
    const onMessage = (msg: Record<string, unknown>) => {
      if (key in msg) {
        child.proc.off('message', onMessage)
        resolve(msg[key] as T)
      }
    }
    child.proc.on('message', onMessage)
    child.proc.send(question)
  })
}

/**
 * The node options `npm start` gives the service built in `root`: its package.json's start script is
 * `node [options] dist/server.js`, and the benchmark starts the service the same way.
 */
export function startOptions(root: string): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: { start: string }
  }
  const words = scripts.start.trim().split(/\s+/)
  if (words[0] !== 'node' || words.at(-1) !== 'dist/server.js')
    throw new Error(`package.json's start script is not "node [options] dist/server.js": ${scripts.start}`)
  return words.slice(1, -1)
}

/**
 * Starts the service compiled in `root` as `npm start` does (`node [options] dist/server.js`) with exactly
 * `env` (plus PATH/HOME), in `dir` so that no .env file of the checkout is read; stdout and stderr go to
 * files there, as under a process supervisor.
 */
export async function startService(
  root: string,
  env: Record<string, string>,
  dir: string,
  nodeFlags: string[] = [],
): Promise<Child> {
  const port = await freePort()
  const out = openSync(join(dir, 'stdout.log'), 'a')
  const err = openSync(join(dir, 'stderr.log'), 'a')
  const proc = spawn(
    process.execPath,
    [...startOptions(root), ...nodeFlags, join(root, 'dist', 'server.js')],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', out, err],
    },
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`the service exited with ${proc.exitCode}: see ${join(dir, 'stderr.log')}`)
    try {
      const res = await fetch(`${url}/ready`)
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the service did not become ready within 30 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  // SIGTERM: close-with-grace closes the app, so --cpu-prof gets to write its profile.
  return child(proc, url, 15_000)
}
