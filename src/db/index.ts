import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely'
import type { Pool } from 'pg'
import { migrationProvider } from './migrations/index.js'
import { openPool } from './postgres.js'
import type { Database } from './schema.js'
import { SqliteConnection, type SqliteOptions } from './sqlite.js'

export type Db = Kysely<Database>

/** Where the database is, as DATABASE_URL says: a SQLite file or a PostgreSQL URL. */
export type DatabaseSettings = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }

/**
 * The open database: the engine's own connection for the stores (src/stores/), and Kysely over it for the
 * migrations and the read models (admin reports, the CLI's log listing). `close` commits what is pending.
 */
export type DatabaseHandle =
  | { kind: 'sqlite'; db: Db; sqlite: SqliteConnection; close(): Promise<void> }
  | { kind: 'postgres'; db: Db; pool: Pool; close(): Promise<void> }

/**
 * Opens the database. `groupCommit` (the server) commits SQLite writes in batches, one per turn of the event
 * loop (sqlite.ts); without it (the CLI, tests that read through a second connection) each write commits at
 * once. PostgreSQL commits per statement either way.
 */
export function openDatabase(config: DatabaseSettings, options: SqliteOptions = {}): DatabaseHandle {
  if (config.kind === 'sqlite') {
    const sqlite = new SqliteConnection(config.path, options)
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite.db }) })
    return {
      kind: 'sqlite',
      sqlite,
      db,
      close: async () => {
        // What is pending is committed first, and the checkpoint thread stopped last.
        await sqlite.close()
      },
    }
  }
  const pool = openPool(config.url)
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { kind: 'postgres', pool, db, close: () => db.destroy() }
}

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
 * SQLSTATEs of a table, column or schema dropped while a query was reading about it: undefined_table,
 * undefined_column and invalid_schema_name. Kysely's migrator finds its bookkeeping tables by listing the
 * tables of *every* schema, with functions that look each table and column up by name
 * (`pg_get_serial_sequence`), so another deployment in another schema of the same database that migrates
 * down or drops its schema at that moment fails our migration, though nothing of ours changed. The test
 * suite, a schema per test file, met it in CI (a column dropped by a test of migration 009's way down).
 */
const CATALOG_CHANGED = new Set(['42P01', '42703', '3F000'])
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

/** DATABASE_URL without its password, for messages. */
export function describeDatabase(database: DatabaseSettings): string {
  if (database.kind === 'sqlite')
    return `SQLite ${database.path === ':memory:' ? database.path : resolve(database.path)}`
  try {
    const url = new URL(database.url)
    return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`
  } catch {
    return 'PostgreSQL'
  }
}

/** True when the settings name a SQLite file that is not there yet (the server or `migrate` creates it). */
export function notCreatedYet(database: DatabaseSettings): boolean {
  return database.kind === 'sqlite' && database.path !== ':memory:' && !existsSync(database.path)
}

/** What to check when the database does not answer. */
export function unreachableFix(database: DatabaseSettings): string {
  return database.kind === 'sqlite'
    ? 'check that the file and its directory are readable and writable by this user'
    : 'start PostgreSQL, or correct the host, port, user, password and database in DATABASE_URL'
}
