import type { Command } from 'commander'
import { migrate, migrationStatus, notCreatedYet } from '../../db/index.js'
import {
  type CliContext,
  CliError,
  cliConfig,
  describeDatabase,
  type GlobalOptions,
  withDatabase,
} from '../context.js'

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('apply the pending database migrations (the server also applies them when it starts)')
    .option('--status', 'list every migration and whether it is applied, without changing anything')
    .action(async (options: { status?: boolean }, command: Command) => {
      const config = cliConfig(ctx, command.optsWithGlobals<GlobalOptions>())
      const where = describeDatabase(config.database)
      if (options.status && notCreatedYet(config.database))
        throw new CliError(`${where} does not exist yet: "royal-taxi migrate" creates it`)
      await withDatabase(config, async (db) => {
        if (options.status) {
          for (const m of await migrationStatus(db))
            ctx.out(
              m.appliedAt
                ? `✅ ${m.name}  applied ${m.appliedAt.toISOString()}`
                : `⏳ ${m.name}  pending (run "royal-taxi migrate")`,
            )
          return
        }
        const applied = await migrate(db)
        for (const name of applied) ctx.out(`✅ applied ${name}`)
        const total = (await migrationStatus(db)).length
        ctx.out(
          applied.length > 0
            ? `${where}: ${applied.length} migration(s) applied, ${total} in all`
            : `${where}: already up to date (${total} migration(s) applied)`,
        )
      })
    })
}
