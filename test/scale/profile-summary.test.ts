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
//   root ─ route handler ─┬─ statements.js `value` (a statement's run) ─ better-sqlite3 native run
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
    frame(3, 'value', `${APP}/db/statements.js`, [4]),
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

test("the profile summary counts SQLite's share of the busy samples, not the JavaScript a transaction calls", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-profile-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'synthetic.cpuprofile')
  writeFileSync(file, JSON.stringify(profile))
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/profile-summary.ts', file], {
    cwd: ROOT,
  })
  // 5 of the 10 busy samples are the database's: the run, and the transaction's own frame.
  assert.match(stdout, /SQLite: 50\.0% of the busy samples;.* about 2\.00× as fast/)
  assert.match(stdout, /total sampled 0\.0 s/)
})
