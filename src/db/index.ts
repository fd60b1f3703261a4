import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely'
import type { Pool, PoolClient } from 'pg'
import type { Config } from '../config.js'
import { type Checkpointer, startCheckpointer } from './checkpointer.js'
import { migrationProvider } from './migrations/index.js'
import { statementName } from './prepared.js'
import type { Database } from './schema.js'
import { BatchingDatabase } from './statements.js'

export type Db = Kysely<Database>

/**
 * The open database: Kysely for queries, plus the client that rate-limiter-flexible needs. For SQLite that
 * client is the group-committing connection Kysely also uses (statements.ts), so both share one batch.
 * `close` commits what is pending and resolves once every connection (the checkpoint thread's too) is closed.
 */
export type DatabaseHandle =
  | { kind: 'sqlite'; db: Db; raw: BatchingDatabase; close(): Promise<void> }
  | { kind: 'postgres'; db: Db; raw: Pool; close(): Promise<void> }

// The PostgreSQL driver is loaded only when DATABASE_URL names PostgreSQL: the embedded default never needs it.
const require = createRequire(import.meta.url)
const loadPg = () => require('pg') as typeof import('pg')

/**
 * Log pages after which the server's connection checkpoints itself (SQLite's default is 1000): under
 * sustained writes the log grows to 256 MB before it starts over (at light load the worker's passes catch up
 * and it starts over sooner). Each such checkpoint stalls one commit for 7–14 ms (it copies what the worker
 * has not yet and syncs twice), so the rarer the better: at 16,000 pages there were 3–4 a second at 7,000
 * sends a second, and the p99 of send-otp was 21–22 ms against 15–18 ms at 64,000 (docs/SCALING.md).
 */
export const SERVER_AUTOCHECKPOINT_PAGES = 64000

/**
 * Opens the database. `groupCommit` (the server) commits SQLite writes in batches, one per turn of the event
 * loop (statements.ts); without it (the CLI, tests that read through a second connection) each write commits
 * at once. PostgreSQL commits per statement either way: its pool already spreads the load.
 */
export function openDatabase(
  config: Config['database'],
  options: {
    groupCommit?: boolean
    onWarning?: (message: string) => void
    /** The server's own checkpoint, in log pages (tests make it small to reach it quickly). */
    autocheckpointPages?: number
  } = {},
): DatabaseHandle {
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true })
    const raw = new SQLite(config.path)
    // WAL lets readers run beside the writer; busy_timeout waits for a lock instead of failing at once when
    // a second process (the CLI) writes.
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = NORMAL')
    raw.pragma('busy_timeout = 5000')
    raw.pragma('foreign_keys = ON')
    const groupCommit = options.groupCommit ?? false
    let checkpointer: Checkpointer | null = null
    if (groupCommit && config.path !== ':memory:') {
      // The server copies the log into the database on a worker thread (checkpointer.ts). Its own automatic
      // checkpoint stays, at a larger size: by then the worker has copied nearly everything (all but its
      // last 50 ms), and it is what lets the log start over: under sustained writes a checkpoint from
      // another connection never finds the log fully copied before the next write, and the file grew
      // without bound (1.5 GB after 60,000 sends).
      raw.pragma(`wal_autocheckpoint = ${options.autocheckpointPages ?? SERVER_AUTOCHECKPOINT_PAGES}`)
      checkpointer = startCheckpointer(config.path, options.onWarning)
    }
    const batching = new BatchingDatabase(raw, { groupCommit })
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: batching }) })
    return {
      kind: 'sqlite',
      raw: batching,
      db,
      // The checkpoint thread's connection closes last, so it folds the log into the file and removes it.
      close: async () => {
        await db.destroy()
        await checkpointer?.stop()
      },
    }
  }
  const pg = loadPg()
  const raw = new pg.Pool({
    connectionString: config.url,
    max: 10,
    connectionTimeoutMillis: 3000,
    // BIGINT (int8, OID 20) arrives from pg as a string to protect values above 2^53; our BIGINTs are epoch
    // milliseconds, far below that.
    types: {
      getTypeParser: (oid: number, format?: string) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
    },
  })
  // An idle client that loses its connection (the server restarted) emits 'error'; without a listener that
  // would crash the process. The pool replaces the client on the next query.
  raw.on('error', () => {})
  // A checked-out client whose connection drops mid-query (the server stopped, the network cut) both rejects
  // the query and emits 'error'; the pool listens only while the client is idle, so without this listener the
  // process would crash on an outage instead of answering 503. The rejected query carries the error.
  raw.on('connect', (client) => client.on('error', () => {}))
  raw.on('connect', namePreparedQueries)
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: raw }) })
  return { kind: 'postgres', raw, db, close: () => db.destroy() }
}

/**
 * Makes the hot paths' queries (PreparedQuery) named prepared statements on this PostgreSQL connection:
 * PostgreSQL parses and plans each once per connection instead of on every run, and the client sends only
 * Bind and Execute. Kysely's driver sends every query unnamed, which PostgreSQL parses and plans anew; on
 * two cores shared with PostgreSQL that was a quarter of right-code verify's throughput (docs/SCALING.md).
 * Any other query (the admin console's, built per call) goes out unnamed as before, so the statements a
 * connection keeps are bounded by the code.
 */
function namePreparedQueries(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>
  // Statements this connection can no longer run prepared: a column was added to a table they read with
  // `*` (another instance's migration in a rolling deploy), and PostgreSQL refuses to change a prepared
  // statement's result type. They go out unnamed from then on, the first time included.
  const unnamed = new Set<string>()
  const named = (...args: unknown[]) => {
    const [text, values] = args
    const name =
      typeof text === 'string' && args.length === 2 && !unnamed.has(text) ? statementName(text) : undefined
    if (!name) return query(...args)
    return query({ name, text, values }).catch((err: unknown) => {
      if ((err as { code?: string }).code !== RESULT_TYPE_CHANGED) throw err
      unnamed.add(text as string)
      return query(text, values)
    })
  }
  ;(client as { query: unknown }).query = named
}

/** SQLSTATE feature_not_supported, which "cached plan must not change result type" is raised as. */
const RESULT_TYPE_CHANGED = '0A000'

export async function migrator(handle: DatabaseHandle): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in any schema unless told which one; pin it to the schema our
  // tables go to (the first of search_path), so two deployments in two schemas of one database stay apart.
  const migrationTableSchema =
    handle.kind === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema
      : undefined
  return new Migrator({
    db: handle.db,
    provider: migrationProvider({ dialect: handle.kind }),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  })
}

/** Applies every pending migration; returns the names of those it ran. */
export async function migrate(handle: DatabaseHandle): Promise<string[]> {
  const migrations = await migrator(handle)
  return whileCatalogSettles(async () => {
    const { error, results } = await migrations.migrateToLatest()
    if (error) throw error
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  })
}

/** Every known migration and when it was applied (null: pending). Reads only: creates no table. */
export async function migrationStatus(
  handle: DatabaseHandle,
): Promise<{ name: string; appliedAt: Date | null }[]> {
  const migrations = await migrator(handle)
  const list = await whileCatalogSettles(() => migrations.getMigrations())
  return list.map((m) => ({ name: m.name, appliedAt: m.executedAt ?? null }))
}

/**
 * SQLSTATEs of a table or schema dropped while a query was reading about it: undefined_table and
 * invalid_schema_name. Kysely's migrator finds its bookkeeping tables by listing the tables of *every*
 * schema, with functions that look each table up by name (`pg_get_serial_sequence`), so another deployment
 * in another schema of the same database that migrates down or drops its schema at that moment fails our
 * migration, though nothing of ours changed. The test suite, a schema per test file, met it in CI.
 */
const CATALOG_CHANGED = new Set(['42P01', '3F000'])
const MIGRATION_TRIES = 3

/**
 * Runs `step` again when it failed on CATALOG_CHANGED, which only PostgreSQL raises. Safe for migrations:
 * there Kysely runs the pending ones in one transaction, so a failed try leaves nothing behind, and the next
 * applies what is still pending.
 */
async function whileCatalogSettles<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step()
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      if (attempt >= MIGRATION_TRIES || typeof code !== 'string' || !CATALOG_CHANGED.has(code)) throw err
    }
  }
}

export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db)
}
