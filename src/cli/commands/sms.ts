import type { Command } from 'commander'
import { type ObservedAttempt, observeProvider } from '../../channels/observe.js'
import { SmsError } from '../../channels/provider.js'
import { type Config, LANGUAGES, type Language } from '../../config.js'
import { randomDigits } from '../../crypto.js'
import { migrate } from '../../db/index.js'
import { messages } from '../../i18n/index.js'
import { parsePhone } from '../../phone/index.js'
import { SmsSender } from '../../sms/sender.js'
import { openStores } from '../../stores/index.js'
import {
  type CliContext,
  CliError,
  cliConfig,
  describeError,
  type GlobalOptions,
  quietLogger,
  withDatabase,
} from '../context.js'

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
    .option(
      '-t, --text <text>',
      'the message text (default: the code SMS itself with a random code, the text gateways must have approved)',
    )
    .option(
      '-l, --language <lang>',
      `language of the code SMS: ${LANGUAGES.join(', ')} (default: DEFAULT_LANGUAGE)`,
    )
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
        const { configuredProviders } = await import('../../channels/index.js')
        let providers = configuredProviders(config, quietLogger)
        let routes: Config['sms']['routes'] | null = config.sms.routes
        if (options.provider !== undefined) {
          const chosen = providers.filter((p) => p.name === options.provider)
          if (chosen.length === 0)
            throw new CliError(
              `provider "${options.provider}" is not enabled (enabled: ${providers.map((p) => p.name).join(', ')})`,
            )
          providers = chosen
          routes = null
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
          const sender = new SmsSender({
            providers: observed,
            smsLog: openStores(db, null).smsLog,
            log: quietLogger,
            timeoutMs: config.sms.timeoutMs,
            routes,
            circuit: config.sms.circuit,
            prices: { prices: config.sms.prices, uzsPerUsd: config.sms.uzsPerUsd },
          })
          const code = randomDigits(config.otp.length)
          const text =
            options.text ?? messages[language].smsBody({ code, minutes: config.otp.ttlSeconds / 60 })
          ctx.out(
            `Route for ${phone.country}: ${sender
              .route(phone.country)
              .map((p) => p.name)
              .join(
                ' → ',
              )}${options.text === undefined ? `; text: the ${language} code SMS with code ${code}` : ''}`,
          )
          try {
            const delivery = await sender.send(phone, text)
            if (config.devMode)
              ctx.out(
                '⚠️ development mode: no SMS provider is enabled, nothing left this machine (enable one: ESKIZ_ENABLED, PLAYMOBILE_ENABLED, HTTP_SMS_URL or TWILIO_ENABLED)',
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
