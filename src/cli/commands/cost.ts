import type { Command } from 'commander'
import { isSupportedCountry } from 'libphonenumber-js/max'
import { LANGUAGES, type Language, SMS_PROVIDER_NAMES } from '../../config.js'
import { messages } from '../../i18n/index.js'
import { type Cost, countSegments, estimateCost } from '../../pricing.js'
import { type CliContext, CliError, cliConfig, type GlobalOptions } from '../context.js'

interface EstimateOptions {
  country: string
  count: string
  provider?: string
  segments?: string
  language?: string
  json?: boolean
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })
const plain = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })

function money(cost: Cost): string {
  return cost.currency === 'USD'
    ? usd.format(cost.amount)
    : `${plain.format(cost.amount)} so'm (≈ ${usd.format(cost.usd)})`
}

function unitPrice(cost: Cost, segments: number): string {
  const unit = cost.amount / segments
  return cost.currency === 'USD' ? `$${unit} per segment` : `${plain.format(unit)} so'm per segment`
}

export function registerCost(program: Command, ctx: CliContext): void {
  const cost = program.command('cost').description('SMS costs from the price table')
  cost
    .command('estimate')
    .description(
      'what sending COUNT codes to COUNTRY costs through the given provider, and through each other enabled provider',
    )
    .requiredOption('--country <code>', 'ISO country code of the numbers, e.g. UZ')
    .requiredOption('--count <n>', 'how many messages, e.g. 10000')
    .option('-p, --provider <name>', `the provider to price first: ${SMS_PROVIDER_NAMES.join(', ')}`)
    .option('--segments <n>', 'segments per message (default: those of the code SMS in --language)')
    .option(
      '-l, --language <lang>',
      `language of the code SMS: ${LANGUAGES.join(', ')} (default: DEFAULT_LANGUAGE)`,
    )
    .option('--json', 'print the estimate as JSON')
    .action(async (options: EstimateOptions, command: Command) => {
      const config = cliConfig(ctx, command.optsWithGlobals<GlobalOptions>())
      const country = options.country.trim().toUpperCase()
      if (!isSupportedCountry(country)) throw new CliError(`unknown country code "${options.country}"`)
      const count = Number(options.count.replaceAll(/[,_ ]/g, ''))
      if (!Number.isInteger(count) || count < 1)
        throw new CliError(`--count must be a whole number ≥ 1 (got "${options.count}")`)
      const language = (options.language ?? config.defaultLanguage) as Language
      if (!LANGUAGES.includes(language))
        throw new CliError(`unknown language "${options.language}": use ${LANGUAGES.join(', ')}`)
      let perMessage: number
      let basis: string
      if (options.segments !== undefined) {
        perMessage = Number(options.segments)
        if (!Number.isInteger(perMessage) || perMessage < 1)
          throw new CliError(`--segments must be a whole number ≥ 1 (got "${options.segments}")`)
        basis = `${perMessage} segment(s) each, as given`
      } else {
        // The real code SMS, with a code of the configured length: its alphabet and length decide the segments.
        const text = messages[language].smsBody({
          code: '0'.repeat(config.otp.length),
          minutes: config.otp.ttlSeconds / 60,
        })
        const s = countSegments(text)
        perMessage = s.segments
        basis = `${s.segments} segment(s) each: the ${language} code SMS, ${s.encoding}, ${s.units} ${s.encoding === 'GSM-7' ? 'septets' : 'UTF-16 units'}`
      }
      const names: readonly string[] = SMS_PROVIDER_NAMES
      if (options.provider !== undefined && !names.includes(options.provider))
        throw new CliError(`unknown provider "${options.provider}" (expected ${names.join(', ')})`)
      const enabled = config.sms.enabled as readonly string[]
      // The asked provider first, then the other enabled ones in route order (all, in development mode).
      const others = (enabled.length > 0 ? enabled : names).filter((n) => n !== options.provider)
      const providers = options.provider ? [options.provider, ...others] : others
      const prices = { prices: config.sms.prices, uzsPerUsd: config.sms.uzsPerUsd }
      // Telegram Gateway bills a message, whatever the segments of the SMS text it does not carry.
      const units = (provider: string) => (provider === 'telegram' ? 1 : perMessage) * count
      const rows = providers.map((provider) => ({
        provider,
        enabled: enabled.includes(provider),
        cost: estimateCost(prices, provider, country, units(provider)),
      }))
      if (options.json) {
        ctx.out(
          JSON.stringify({ country, count, segments_per_message: perMessage, estimates: rows }, null, 2),
        )
        return
      }
      ctx.out(`${plain.format(count)} SMS to ${country}, ${basis}`)
      if (enabled.length === 0)
        ctx.out('(development mode: no provider is enabled, so every provider is priced)')
      const width = Math.max(...providers.map((p) => p.length))
      for (const row of rows) {
        const label = `${row.provider.padEnd(width)}${row.enabled || enabled.length === 0 ? '' : ' (not enabled)'}`
        ctx.out(
          row.cost
            ? `  ${label}  ${money(row.cost)}  (${unitPrice(row.cost, units(row.provider))})`
            : `  ${label}  no price for ${country} in the table: set one with SMS_PRICES`,
        )
      }
    })
}
