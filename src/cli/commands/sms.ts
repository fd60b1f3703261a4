import type { Command } from 'commander'
import { LANGUAGES, type Language } from '../../config.js'
import { migrate } from '../../db/index.js'
import { parsePhone } from '../../phone/index.js'
import { type ObservedAttempt, observeProvider } from '../../sms/observe.js'
import { SmsError } from '../../sms/provider.js'
import { SmsSender } from '../../sms/sender.js'
import {
  type CliContext,
  CliError,
  cliConfig,
  describeError,
  type GlobalOptions,
  quietLogger,
  withDatabase,
} from '../context.js'

const TEST_TEXT: Record<Language, string> = {
  uz: 'Royal Taxi: sinov xabari. SMS yuborish ishlayapti, bu xabarga javob berish shart emas.',
  ru: 'Royal Taxi: тестовое сообщение. Отправка SMS работает, отвечать на него не нужно.',
  en: 'Royal Taxi: test message. SMS sending works; no need to reply.',
}

function describeAttempt(a: ObservedAttempt): string {
  const ms = `${Math.round(a.durationMs)} ms`
  if (a.result)
    return `✅ ${a.provider}: ${a.result.status}, message id ${a.result.providerMessageId ?? '(none)'}, ${ms}`
  if (a.error instanceof SmsError)
    return `❌ ${a.provider}: ${a.error.kind}${a.error.providerCode ? ` (${a.error.providerCode})` : ''}: ${a.error.message}, ${ms}`
  return `❌ ${a.provider}: unavailable: ${describeError(a.error)}, ${ms}`
}

export function registerSms(program: Command, ctx: CliContext): void {
  const sms = program.command('sms').description('SMS gateway tools')
  sms
    .command('test')
    .description(
      'send one real test SMS through the configured routing (or one provider) and print every attempt',
    )
    .argument('<phone>', 'the number to send to, international format, e.g. +998901234567')
    .option('-p, --provider <name>', 'send only through this enabled provider (no failover)')
    .option('-t, --text <text>', 'the message text (default: a short test message in --language)')
    .option('-l, --language <lang>', `language of the default text: ${LANGUAGES.join(', ')}`)
    .action(
      async (
        input: string,
        options: { provider?: string; text?: string; language?: string },
        command: Command,
      ) => {
        const config = cliConfig(ctx, command.optsWithGlobals<GlobalOptions>())
        const phone = parsePhone(input)
        if (!phone) throw new CliError(`"${input}" is not a valid mobile number; expected e.g. +998901234567`)
        const language = (options.language ?? config.defaultLanguage) as Language
        if (!LANGUAGES.includes(language))
          throw new CliError(`unknown language "${options.language}": use ${LANGUAGES.join(', ')}`)
        const allowed = config.allowedCountries
        if (allowed !== '*' && !allowed.has(phone.country))
          ctx.err(
            `⚠️ ${phone.country} is not in ALLOWED_COUNTRIES: the service itself would refuse this number`,
          )

        // Loaded on demand: the whole service behind it is not needed for `--help` or the other commands.
        const { configuredProviders } = await import('../../app.js')
        let providers = configuredProviders(config, quietLogger)
        if (options.provider !== undefined) {
          const chosen = providers.filter((p) => p.name === options.provider)
          if (chosen.length === 0)
            throw new CliError(
              `provider "${options.provider}" is not enabled (enabled: ${providers.map((p) => p.name).join(', ')})`,
            )
          providers = chosen
        }
        const attempts: ObservedAttempt[] = []
        const observed = providers.map((p) =>
          observeProvider(p, (a) => {
            attempts.push(a)
            ctx.out(describeAttempt(a))
          }),
        )
        await withDatabase(config, async (db) => {
          // The attempts go to the SMS log like the service's own, so the tables must exist.
          await migrate(db)
          const sender = new SmsSender(observed, db.db, quietLogger, config.sms.timeoutMs)
          try {
            const delivery = await sender.send(phone, options.text ?? TEST_TEXT[language])
            if (config.devMode)
              ctx.out(
                `⚠️ development mode: no SMS provider is enabled, nothing left this machine (set TWILIO_ENABLED=true)`,
              )
            else ctx.out(`Sent to ${phone.e164} via ${delivery.provider} (SMS log id ${delivery.logId})`)
          } catch (err) {
            if (!(err instanceof SmsError)) throw err
            ctx.out(
              `Not sent to ${phone.e164}: ${attempts.length} attempt(s) failed; the last said ${err.kind}: ${err.message}`,
            )
            ctx.exitCode = 1
          } finally {
            await sender.close()
          }
        })
      },
    )
}
