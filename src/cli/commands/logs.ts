import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { type Db, migrationStatus } from '../../db/index.js'
import type { SmsLog } from '../../db/schema.js'
import {
  type CliContext,
  CliError,
  cliConfig,
  describeDatabase,
  type GlobalOptions,
  withDatabase,
} from '../context.js'

interface TailOptions {
  lines: string
  once?: boolean
  count?: string
  interval: string
  phone?: string
  provider?: string
  status?: string
  json?: boolean
}

interface Filters {
  phone?: string | undefined
  provider?: string | undefined
  status?: string | undefined
}

/** How many rows' last status we remember to tell a status change from a new row. */
const KNOWN_ROWS = 100_000

function positiveInt(value: string, name: string, min = 1): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min)
    throw new CliError(`${name} must be a whole number ≥ ${min} (got "${value}")`)
  return n
}

function filtered(db: Db, f: Filters) {
  let q = db.selectFrom('sms_log').selectAll()
  if (f.phone) q = q.where('phone', '=', f.phone)
  if (f.provider) q = q.where('provider', '=', f.provider)
  if (f.status) q = q.where('status', '=', f.status as SmsLog['status'])
  return q
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23)
}

/** `previous`: undefined for a new row, '' for a change from a status we never saw. */
function formatRow(row: SmsLog, previous: string | undefined): string {
  const status = previous === undefined ? row.status : `${previous ? `${previous} ` : ''}→ ${row.status}`
  const error = row.error_code ? `  ${row.error_code}: ${row.error_message ?? ''}` : ''
  return [
    time(previous === undefined ? row.created_at : row.updated_at),
    row.phone.padEnd(14),
    row.country,
    `${row.provider}#${row.attempt}`.padEnd(12),
    status.padEnd(previous === undefined ? 11 : 24),
    row.provider_message_id ?? '-',
  ]
    .join('  ')
    .concat(error)
}

/**
 * Follows the SMS log by polling: rows changed since the last poll (by `updated_at`) are printed as new
 * rows, or as status changes (`queued → delivered`) for rows already shown. Polling works the same on
 * SQLite and PostgreSQL and needs no trigger or extra table.
 */
async function tail(db: Db, ctx: CliContext, options: TailOptions): Promise<void> {
  const lines = positiveInt(options.lines, '--lines', 0)
  const interval = positiveInt(options.interval, '--interval', 50)
  const limit = options.count === undefined ? Number.POSITIVE_INFINITY : positiveInt(options.count, '--count')
  const f: Filters = { phone: options.phone, provider: options.provider, status: options.status }
  const known = new Map<string, string>()
  const remember = (row: SmsLog) => {
    known.delete(row.id)
    known.set(row.id, row.status)
    if (known.size > KNOWN_ROWS) known.delete(known.keys().next().value as string)
  }
  const print = (row: SmsLog, previous: string | undefined) =>
    ctx.out(
      options.json
        ? JSON.stringify({
            event: previous === undefined ? 'new' : 'status',
            previous_status: previous || null,
            ...row,
          })
        : formatRow(row, previous),
    )

  // Following starts after what exists now; rows of that very millisecond are remembered so they do not show
  // twice. Taken before the history, so nothing written after the history is printed can be missed.
  let cursor = Number(
    (
      await db
        .selectFrom('sms_log')
        .select((eb) => eb.fn.max<number | null>('updated_at').as('last'))
        .executeTakeFirst()
    )?.last ?? 0,
  )
  if (!options.once)
    for (const row of await filtered(db, f).where('updated_at', '=', cursor).execute()) remember(row)

  const history = lines > 0 ? await filtered(db, f).orderBy('created_at', 'desc').limit(lines).execute() : []
  for (const row of history.reverse()) {
    print(row, undefined)
    remember(row)
  }
  if (options.once) return

  const startedAt = cursor
  let events = 0
  while (events < limit && !ctx.signal?.aborted) {
    const rows = await filtered(db, f)
      .where('updated_at', '>=', cursor)
      .orderBy('updated_at')
      .orderBy('created_at')
      .limit(1000)
      .execute()
    for (const row of rows) {
      cursor = Math.max(cursor, Number(row.updated_at))
      // A row from before we started that we never showed: a status change whose old status we do not know.
      const previous = known.get(row.id) ?? (row.created_at <= startedAt ? '' : undefined)
      if (previous === row.status) continue
      print(row, previous)
      remember(row)
      if (++events >= limit) return
    }
    // A full page means more are waiting: fetch again at once.
    if (rows.length < 1000) await sleep(interval, undefined, { signal: ctx.signal }).catch(() => {})
  }
}

export function registerLogs(program: Command, ctx: CliContext): void {
  const logs = program.command('logs').description('the SMS log')
  logs
    .command('tail')
    .description('print the latest SMS log rows, then follow new messages and status changes (Ctrl-C stops)')
    .option('-n, --lines <n>', 'rows of history to print first', '10')
    .option('--once', 'print the history and exit instead of following')
    .option('-c, --count <n>', 'exit after this many new rows or status changes')
    .option('-i, --interval <ms>', 'how often to poll the database, in milliseconds', '1000')
    .option('--phone <e164>', 'only this number, e.g. +998901234567')
    .option('--provider <name>', 'only this provider, e.g. twilio')
    .option('--status <status>', 'only this status: pending, queued, sent, delivered, undelivered, failed')
    .option('--json', 'one JSON object per line')
    .action(async (options: TailOptions, command: Command) => {
      const config = cliConfig(ctx, command.optsWithGlobals<GlobalOptions>())
      await withDatabase(config, async (db) => {
        if ((await migrationStatus(db)).every((m) => m.appliedAt === null))
          throw new CliError(
            `the SMS log does not exist yet in ${describeDatabase(config.database)}: run "royal-taxi migrate" (or start the server once)`,
          )
        await tail(db.db, ctx, options)
      })
    })
}
