import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import Sqlite from 'better-sqlite3'
import type { Command } from 'commander'
import { type CliContext, CliError, cliConfig, describeDatabase, type GlobalOptions } from '../context.js'

/** PostgreSQL's own tool makes a consistent copy of a running database; we name it rather than wrap it. */
const PG_DUMP = 'pg_dump --format=custom --file=FILE "$DATABASE_URL" (restore: pg_restore --dbname=... FILE)'

export function registerBackup(program: Command, ctx: CliContext): void {
  program
    .command('backup')
    .description('copy the SQLite database to FILE while the service runs (PostgreSQL: use pg_dump)')
    .argument('<file>', 'where the copy goes (must not exist yet)')
    .action(async (file: string, _options: unknown, command: Command) => {
      const config = cliConfig(ctx, command.optsWithGlobals<GlobalOptions>())
      const database = config.database
      if (database.kind !== 'sqlite')
        throw new CliError(`${describeDatabase(database)} is PostgreSQL: back it up with ${PG_DUMP}`)
      const target = resolve(file)
      if (existsSync(target)) throw new CliError(`${target} already exists: choose a new file`)
      if (!existsSync(database.path)) throw new CliError(`${describeDatabase(database)} does not exist yet`)
      // SQLite's online backup API copies page by page and restarts when the server writes meanwhile, so
      // the copy is one consistent moment, WAL included (a plain `cp` of a WAL database is not).
      const db = new Sqlite(database.path, { readonly: true, fileMustExist: true })
      try {
        const { totalPages } = await db.backup(target)
        ctx.out(`✅ ${describeDatabase(database)} copied to ${target} (${totalPages} pages)`)
      } finally {
        db.close()
      }
    })
}
