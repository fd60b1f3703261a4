import type { Command } from 'commander'
import { AccountService, maskedPhone } from '../../accounts/service.js'
import { parsePhone } from '../../phone/index.js'
import { type CliContext, CliError, withStores } from '../context.js'

/**
 * `royal-taxi users delete <phone>`: what a user does with "delete my account" in the app, done by support
 * staff for someone who cannot (a lost phone, a request by letter). Asks for the number to be typed again
 * unless --yes.
 */
export function registerUsers(program: Command, ctx: CliContext): void {
  const users = program.command('users').description("users' accounts")
  users
    .command('delete')
    .description(
      'delete an account: the user, every session and passkey; the SMS log keeps the number masked',
    )
    .argument('<phone>', 'the account’s number in international format, e.g. +998901234567')
    .option('--yes', 'do not ask for confirmation')
    .action(async (input: string, options: { yes?: boolean }, command: Command) => {
      const phone = parsePhone(input)?.e164
      if (!phone) throw new CliError(`not a valid mobile number: ${JSON.stringify(input)}`)
      await withStores(ctx, command, async (stores) => {
        const accounts = new AccountService(stores.sessions)
        const user = await accounts.userByPhone(phone)
        if (!user) throw new CliError(`no account has the number ${phone}`)
        if (!options.yes) {
          if (!ctx.ask)
            throw new CliError('nobody to confirm at a terminal: add --yes to delete without asking')
          ctx.out(
            `This deletes user ${user.id} (${phone}) with every session and passkey; the SMS log keeps the number as ${maskedPhone(phone)}.`,
          )
          const typed = await ctx.ask('Type the number again to confirm: ')
          if (parsePhone(typed)?.e164 !== phone) throw new CliError('not confirmed: nothing deleted')
        }
        await accounts.delete(user)
        ctx.out(`Deleted the account of ${phone} (user ${user.id}).`)
      })
    })
}
