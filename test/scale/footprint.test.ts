import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'node:test'

// Run in a fresh process: the test runner's own process has loaded every driver for other suites.
const SCRIPT = `
import { createRequire } from 'node:module'
import { buildApp } from './src/app.ts'
import { loadConfig } from './src/config.ts'
const app = await buildApp(loadConfig({ DATABASE_URL: process.argv[1], APP_ENV: 'development', LOG_LEVEL: 'warn' }))
await app.ready()
const cache = Object.keys(createRequire(import.meta.url).cache)
const loaded = ['twilio', 'undici', 'pg', 'ioredis'].filter((m) => cache.some((p) => p.includes('/node_modules/' + m + '/')))
await app.close()
console.log(JSON.stringify(loaded))
`

test('the embedded defaults load no driver they do not use (the Twilio SDK and its HTTP client, pg, ioredis)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-footprint-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, `sqlite:${join(dir, 'db.sqlite')}`],
    { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '', REDIS_URL: '' } },
  )
  assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1) as string), [])
})
