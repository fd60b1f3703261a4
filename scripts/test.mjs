#!/usr/bin/env node
// `npm test`: every test/**/*.test.ts through Node's own test runner (TypeScript via tsx). Suites that need
// PostgreSQL or Redis run when DATABASE_URL / REDIS_URL point at one and are reported as skipped otherwise.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'

const only = process.argv.slice(2)
const files = readdirSync('test', { recursive: true })
  .map((f) => join('test', String(f)))
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

const pgUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : null

/** Drops the per-test schemas (test_<hex>) that the PostgreSQL suites create, from this run or an interrupted one. */
async function dropTestSchemas() {
  if (!pgUrl) return
  const client = new pg.Client({ connectionString: pgUrl })
  try {
    await client.connect()
    const { rows } = await client.query(
      "select nspname from pg_namespace where nspname ~ '^test_[0-9a-f]{12}$'",
    )
    for (const { nspname } of rows) await client.query(`drop schema "${nspname}" cascade`)
  } catch (err) {
    console.error(`could not drop the test schemas: ${err.message}`)
  } finally {
    await client.end().catch(() => {})
  }
}

await dropTestSchemas()
const result = spawnSync(
  process.execPath,
  // --test-force-exit: a file whose tests are over (a browser test that timed out included) ends even if a
  // hung Chromium or server would keep its event loop alive; without it one such file held CI until its
  // outer timeout.
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-force-exit',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
)
await dropTestSchemas()
process.exit(result.status ?? 1)
