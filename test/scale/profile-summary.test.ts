import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')
const APP = 'file:///srv/royal-taxi/dist'
const SQLITE = 'file:///srv/royal-taxi/node_modules/better-sqlite3/lib/methods/wrappers.js'

// A profile as `node --cpu-prof` writes it: a call tree, and which node each sample (1 ms apart) was in.
//   root ─ route handler ─┬─ a store's `save` ─ better-sqlite3 native run
//                         ├─ better-sqlite3 transaction ─ app hmac (JavaScript inside a transaction)
//                         └─ app hmac
//        ─ (idle)
const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0 },
  children,
})
const profile = {
  nodes: [
    frame(1, '(root)', '', [2, 8]),
    frame(2, 'handler', `${APP}/routes/auth.js`, [3, 5, 7]),
    frame(3, 'save', `${APP}/stores/codes/sqlite.js`, [4]),
    frame(4, 'run', ''),
    frame(5, 'sqliteTransaction', SQLITE, [6]),
    frame(6, 'hmac', `${APP}/crypto.js`),
    frame(7, 'hmac', `${APP}/crypto.js`),
    frame(8, '(idle)', ''),
  ],
  // 4 samples in the statement's run, 1 in the transaction's own code, 2 + 3 in HMACs, 10 idle.
  samples: [4, 4, 4, 4, 5, 6, 6, 7, 7, 7, ...Array(10).fill(8)],
  timeDeltas: Array(20).fill(1000),
}

test("the profile summary gives self time by package and the service's functions' inclusive time", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-profile-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'synthetic.cpuprofile')
  writeFileSync(file, JSON.stringify(profile))
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/profile-summary.ts', file], {
    cwd: ROOT,
  })
  assert.match(stdout, /total sampled 0\.0 s/)
  // Self time: the native run and the idle samples have no script; the HMACs are the service's own.
  assert.match(
    stdout,
    /by package \(self time\):\n 70\.0% {2}\(native\/V8\)\n 25\.0% {2}app dist\/crypto\.js\n/,
  )
  assert.match(stdout, / 5\.0% {2}better-sqlite3\n/)
  // Inclusive: the handler holds all 10 busy samples, the store's save the 4 of its statement.
  assert.match(stdout, / 50\.0% {2}handler app dist\/routes\/auth\.js:1\n/)
  assert.match(stdout, / 20\.0% {2}save app dist\/stores\/codes\/sqlite\.js:1\n/)
})
