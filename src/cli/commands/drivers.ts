import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { describeRejection, parseRosterFile, RosterFileError } from '../../drivers/csv.js'
import { driverPhone } from '../../drivers/entries.js'
import { DriverService } from '../../drivers/service.js'
import type { Driver } from '../../stores/drivers/index.js'
import { type CliContext, CliError, formatTable, withStores } from '../context.js'

const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

export function formatDrivers(drivers: readonly Driver[]): string {
  const rows = drivers.map((d) => [d.phone, d.name ?? '', d.added_by, when(d.created_at)])
  return formatTable(['PHONE', 'NAME', 'ADDED BY', 'ADDED AT'], rows)
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** `royal-taxi drivers list|add|remove|import`: the numbers that may sign in with the driver app. */
export function registerDrivers(program: Command, ctx: CliContext): void {
  const drivers = program
    .command('drivers')
    .description('the driver roster: numbers that may sign in with the driver app (docs/DRIVERS.md)')
  const withRoster = <T>(command: Command, work: (roster: DriverService) => Promise<T>) =>
    withStores(ctx, command, (stores) => {
      // A removal ends the number's driver sessions at once, as it does through the admin API.
      const onRemoved = async (phone: string) =>
        void (await stores.sessions.revokeApp(phone, 'driver', Date.now()))
      return work(new DriverService(stores.drivers, { onRemoved }))
    })
  const e164 = (phone: string) => {
    const parsed = driverPhone(phone)
    if (parsed === null) throw new CliError(`not a valid mobile number: ${JSON.stringify(phone)}`)
    return parsed
  }

  drivers
    .command('list')
    .description('the roster, newest first')
    .option('--search <text>', 'digits of the number, or text in the name')
    .option('--json', 'print the rows as JSON')
    .action(async (options: { search?: string; json?: boolean }, command: Command) => {
      const rows = await withRoster(command, (roster) => roster.all(options.search))
      if (options.json) return ctx.out(JSON.stringify(rows, null, 2))
      if (rows.length === 0)
        return ctx.out(
          options.search ? `No driver matches ${JSON.stringify(options.search)}.` : 'The roster is empty.',
        )
      ctx.out(`${formatDrivers(rows)}\n${plural(rows.length, 'driver')}.`)
    })

  drivers
    .command('add')
    .description('put a number on the roster')
    .argument('<phone>', 'the number in international format, e.g. +998901234567')
    .option('--name <name>', "the driver's name, as the fleet knows it")
    .action(async (phone: string, options: { name?: string }, command: Command) => {
      const number = e164(phone)
      const outcome = await withRoster(command, (roster) =>
        roster.add([{ phone: number, name: options.name ?? null }], 'cli'),
      )
      if (!outcome.ok)
        throw new CliError('the name is longer than 100 characters or holds control characters')
      ctx.out(
        outcome.added.length > 0
          ? `${number} added to the driver roster.`
          : `${number} is already on the driver roster (left as it was).`,
      )
    })

  drivers
    .command('remove')
    .description('take a number off the roster')
    .argument('<phone>', 'the number, e.g. +998901234567')
    .action(async (phone: string, _options: unknown, command: Command) => {
      const number = e164(phone)
      if (!(await withRoster(command, (roster) => roster.remove(number))))
        throw new CliError(`${number} is not on the driver roster`)
      ctx.out(`${number} removed from the driver roster.`)
    })

  drivers
    .command('import')
    .description('add every number of a CSV file (phone[,name]), all or nothing')
    .argument('<file>', 'UTF-8 CSV: phone, optional name; an optional header line')
    .action(async (file: string, _options: unknown, command: Command) => {
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      }
      let roster: ReturnType<typeof parseRosterFile>
      try {
        roster = parseRosterFile(text)
      } catch (err) {
        if (err instanceof RosterFileError) throw new CliError(`${file}: ${err.message}; nothing imported`)
        throw err
      }
      if (roster.entries.length === 0) throw new CliError(`${file} holds no numbers; nothing imported`)
      const outcome = await withRoster(command, (service) => service.add(roster.entries, 'import'))
      if (!outcome.ok) {
        for (const rejection of outcome.rejected) ctx.err(describeRejection(rejection, roster.lines))
        throw new CliError(
          `nothing imported: ${outcome.rejected.length} of ${plural(roster.entries.length, 'line')} in ${file} rejected (fix them and import the file again)`,
        )
      }
      const present = outcome.alreadyPresent.length
      ctx.out(
        `Imported ${file}: ${plural(outcome.added.length, 'driver')} added` +
          (present ? `, ${present} already on the roster (left as they were).` : '.'),
      )
    })
}
