#!/usr/bin/env node
import { listBlocks, removeBlock } from '../abuse/blocks.js'
import { ConfigError, loadConfig } from '../config.js'
import { type DatabaseHandle, migrate, openDatabase } from '../db/index.js'
import type { BlockedPrefix } from '../db/schema.js'

// `royal-taxi <command>` (in the repo: `npm run cli -- <command>`). Reads the same .env as the server and
// works on the same database.

const HELP = `Usage: royal-taxi <command>

Commands:
  blocks list [--all] [--json]   number prefixes blocked from receiving codes (--all: with expired and removed)
  blocks remove <prefix>          lift the block of a prefix, e.g. +998901234
  help                            this text

Settings come from .env and the environment (DATABASE_URL), as for the server.`

class UsageError extends Error {}

function when(ms: number | null): string {
  return ms === null ? 'until removed' : new Date(ms).toISOString().replace('.000Z', 'Z')
}

function status(b: BlockedPrefix, now: number): string {
  if (b.removed_at !== null) return `removed ${when(b.removed_at)} by ${b.removed_by ?? '?'}`
  if (b.expires_at !== null && b.expires_at <= now) return 'expired'
  return 'active'
}

export function formatBlocks(blocks: BlockedPrefix[], now = Date.now()): string {
  if (blocks.length === 0) return 'No blocked prefixes.'
  const rows = blocks.map((b) => [
    b.prefix,
    b.reason,
    when(b.created_at),
    when(b.expires_at),
    status(b, now),
    b.detail,
  ])
  const header = ['PREFIX', 'REASON', 'BLOCKED AT', 'UNTIL', 'STATUS', 'DETAIL']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

async function blocks(db: DatabaseHandle, args: string[], out: (s: string) => void): Promise<void> {
  const [action, ...rest] = args
  if (action === 'list') {
    const unknown = rest.filter((a) => a !== '--all' && a !== '--json')
    if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]} (try: blocks list --all)`)
    const rows = await listBlocks(db.db, { all: rest.includes('--all') })
    out(rest.includes('--json') ? JSON.stringify(rows, null, 2) : formatBlocks(rows))
    return
  }
  if (action === 'remove') {
    const prefix = rest[0]
    if (!prefix || rest.length > 1) throw new UsageError('blocks remove takes one prefix, e.g. +998901234')
    if (!(await removeBlock(db.db, prefix, 'cli'))) throw new UsageError(`no active block for ${prefix}`)
    out(`Block of ${prefix} removed.`)
    return
  }
  throw new UsageError(`unknown blocks command "${action ?? ''}" (list or remove)`)
}

/** Runs one command; returns the exit code. Errors are one line on stderr, never a stack trace. */
export async function run(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  env?: Record<string, string | undefined>,
): Promise<number> {
  const [command, ...args] = argv
  if (!command || command === 'help' || command === '--help' || command === '-h' || args.includes('--help')) {
    out(HELP)
    return command ? 0 : 2
  }
  if (command !== 'blocks') {
    err(`royal-taxi: unknown command "${command}" (see royal-taxi --help)`)
    return 2
  }
  let db: DatabaseHandle | null = null
  try {
    const config = loadConfig(env)
    db = openDatabase(config.database)
    await migrate(db)
    await blocks(db, args, out)
    return 0
  } catch (e) {
    if (e instanceof ConfigError) err(`royal-taxi: ${e.problems.join('; ')}`)
    else err(`royal-taxi: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
    return e instanceof UsageError || e instanceof ConfigError ? 2 : 1
  } finally {
    await db?.db.destroy()
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/index.js')) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
