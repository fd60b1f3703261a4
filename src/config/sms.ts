import { isSupportedCountry } from 'libphonenumber-js/max'
import Type, { type Static, type TObject } from 'typebox'
import {
  CHANNEL_SECRETS,
  CHANNEL_SETTINGS,
  type ChannelEnv,
  CONNECTORS,
  channelProblems,
  channelSettings,
  enabledChannels,
  SMS_PROVIDER_NAMES,
  type SmsProviderName,
} from '../channels/index.js'
import { parsePrices } from '../pricing.js'
import { int, withoutTrailingSlashes } from '../settings.js'

/** Sending: every gateway's own settings, then routes, failover, prices and where delivery reports come back. */
export const SMS_SETTINGS = {
  ...CHANNEL_SETTINGS,
  SMS_TIMEOUT_MS: int(5000, 100, 60000, 'milliseconds'),
  SMS_ROUTES: Type.Optional(
    Type.String({
      description: 'COUNTRY=provider,provider;…;*=provider, e.g. UZ=eskiz,playmobile,twilio;*=twilio',
    }),
  ),
  SMS_CIRCUIT_FAILURES: int(3, 1, 1000, 'failures in a row that take a provider out of rotation'),
  SMS_CIRCUIT_OPEN_SECONDS: int(30, 1, 86400, 'seconds a failing provider is skipped'),
  SMS_PRICES: Type.Optional(
    Type.String({
      description:
        'provider:COUNTRY=price[ USD|UZS];… per segment, e.g. eskiz:UZ=85;twilio:KZ=0.21 USD;http:*=70 UZS',
    }),
  ),
  UZS_PER_USD: Type.Number({
    default: 12700,
    exclusiveMinimum: 0,
    description: "so'm per US dollar, a positive number (for totals in dollars)",
  }),
  PUBLIC_BASE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/?#]+(/[^?#]*)?$',
      description: 'the public http(s) URL this service is reached at, e.g. https://auth.royaltaxi.uz',
    }),
  ),
  WEBHOOK_TOKEN: Type.Optional(
    Type.String({
      minLength: 24,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'a random URL-safe string of 24 characters or more (letters, digits, - and _)',
    }),
  ),
}
export const SMS_SECRETS = [...CHANNEL_SECRETS, 'WEBHOOK_TOKEN']

type SmsEnv = Static<TObject<typeof SMS_SETTINGS>> & ChannelEnv & { APP_ENV: string }

export interface SmsRoutes {
  /** Ordered provider names per ISO country code (upper case). */
  byCountry: Record<string, string[]>
  /** For countries without their own entry (`*`). */
  fallback: string[]
  /**
   * Per country (`*` for the fallback route), the steps that wait for their delivery report before the next
   * step sends the same code: provider name → milliseconds (`telegram(wait=12s)`).
   */
  waits?: Record<string, Record<string, number>>
}

/** A route step as SMS_ROUTES writes it: `eskiz`, or `telegram(wait=12s)` (also `wait=12000ms`, `wait=12`). */
const STEP = /^([a-z0-9_-]+)\s*(?:\(\s*wait\s*=\s*([0-9]{1,6})\s*(ms|s)?\s*\))?$/
/** A wait shorter than a second is no time for a report; longer than ten minutes outlives most codes. */
const WAIT_MIN_MS = 1000
const WAIT_MAX_MS = 600_000

/**
 * Default routes: Uzbek numbers local gateways first (cheaper, and they reach every Uzbek operator), Twilio
 * last; other countries Twilio first, then the generic HTTP gateway, then the local ones.
 */
function defaultRoutes(enabled: readonly string[]): SmsRoutes {
  if (enabled.length === 0) return { byCountry: {}, fallback: ['console'] }
  const abroad = (['twilio', 'http', 'eskiz', 'playmobile'] as const).filter((n) => enabled.includes(n))
  return { byCountry: { UZ: [...enabled] }, fallback: abroad }
}

/** Parses `UZ=eskiz,playmobile,twilio;*=twilio`; every provider named must be enabled. */
export function parseRoutes(
  raw: string,
  enabled: readonly string[],
): { routes: SmsRoutes; problems: string[] } {
  const problems: string[] = []
  const routes: SmsRoutes = { byCountry: {}, fallback: [] }
  let hasFallback = false
  for (const entry of raw.split(';').map((e) => e.trim())) {
    if (!entry) continue
    const m = /^(\*|[A-Za-z]{2})\s*=\s*(.+)$/.exec(entry)
    if (!m) {
      problems.push(`SMS_ROUTES: expected COUNTRY=provider,provider (got ${JSON.stringify(entry)})`)
      continue
    }
    const country = (m[1] as string).toUpperCase()
    if (country !== '*' && !isSupportedCountry(country))
      problems.push(`SMS_ROUTES: unknown country code "${country}"`)
    const steps = (m[2] as string).split(',').map((n) => n.trim().toLowerCase())
    const names: string[] = []
    for (const [i, step] of steps.entries()) {
      const parsed = STEP.exec(step)
      if (!parsed) {
        problems.push(
          `SMS_ROUTES: expected provider or provider(wait=12s) for ${country} (got ${JSON.stringify(step)})`,
        )
        continue
      }
      const name = parsed[1] as string
      names.push(name)
      if (parsed[2] === undefined) continue
      const ms = Number(parsed[2]) * (parsed[3] === 'ms' ? 1 : 1000)
      if (ms < WAIT_MIN_MS || ms > WAIT_MAX_MS)
        problems.push(`SMS_ROUTES: the wait of ${name} for ${country} must be 1s..600s`)
      else if (i === steps.length - 1)
        problems.push(
          `SMS_ROUTES: ${name} waits for ${country} but is its last step: nothing to fall back to`,
        )
      else {
        routes.waits ??= {}
        routes.waits[country] = { ...routes.waits[country], [name]: ms }
      }
    }
    for (const name of names) {
      if (!(SMS_PROVIDER_NAMES as readonly string[]).includes(name))
        problems.push(`SMS_ROUTES: unknown provider "${name}" (expected ${SMS_PROVIDER_NAMES.join(', ')})`)
      else if (!enabled.includes(name))
        problems.push(`SMS_ROUTES: provider "${name}" is named for ${country} but not enabled`)
    }
    if (new Set(names).size !== names.length)
      problems.push(`SMS_ROUTES: a provider is named twice for ${country}`)
    if (country === '*') {
      routes.fallback = names
      hasFallback = true
    } else routes.byCountry[country] = names
  }
  if (!hasFallback) routes.fallback = defaultRoutes(enabled).fallback
  return { routes, problems }
}

// Gateways that sign nothing carry WEBHOOK_TOKEN in their receipts' URL.
const TOKEN_RECEIPTS = CONNECTORS.filter((c) => 'receipts' in c && c.receipts && !c.receipts.verify)

export function smsProblems(env: SmsEnv): string[] {
  const problems = channelProblems(env)
  const enabled = enabledChannels(env)
  if (env.SMS_ROUTES) {
    const parsed = parseRoutes(env.SMS_ROUTES, enabled)
    problems.push(...parsed.problems)
    if (parsed.routes.waits && !env.PUBLIC_BASE_URL?.startsWith('https://'))
      problems.push(
        'SMS_ROUTES: a step waits for its delivery report, but reports come back only to an https:// PUBLIC_BASE_URL (set it, or remove the wait)',
      )
  }
  if (env.SMS_PRICES) problems.push(...parsePrices(env.SMS_PRICES, SMS_PROVIDER_NAMES).problems)
  const tokenReceipts = TOKEN_RECEIPTS.filter((c) => enabled.includes(c.name))
  if (env.PUBLIC_BASE_URL && !env.WEBHOOK_TOKEN && tokenReceipts.length > 0)
    problems.push(
      `WEBHOOK_TOKEN: required when PUBLIC_BASE_URL is set and ${TOKEN_RECEIPTS.map((c) => c.label).join(' or ')} is enabled (their delivery receipts carry it in the URL)`,
    )
  if (env.APP_ENV === 'production' && enabled.length === 0)
    problems.push(
      'SMS: no SMS provider is enabled; production refuses to start in development mode, where codes are shown in responses (enable one of TWILIO_ENABLED, ESKIZ_ENABLED, PLAYMOBILE_ENABLED or set HTTP_SMS_URL)',
    )
  return problems
}

export function smsConfig(env: SmsEnv) {
  const publicBaseUrl = env.PUBLIC_BASE_URL === undefined ? null : withoutTrailingSlashes(env.PUBLIC_BASE_URL)
  const webhooks = { publicBaseUrl, token: env.WEBHOOK_TOKEN ?? null }
  const enabled: SmsProviderName[] = enabledChannels(env)
  return {
    sms: {
      timeoutMs: env.SMS_TIMEOUT_MS,
      ...channelSettings(env, { publicBaseUrl, webhookToken: webhooks.token }),
      /** Real providers enabled, in the default Uzbek order; empty in development mode. */
      enabled,
      routes: env.SMS_ROUTES ? parseRoutes(env.SMS_ROUTES, enabled).routes : defaultRoutes(enabled),
      circuit: { failures: env.SMS_CIRCUIT_FAILURES, openMs: env.SMS_CIRCUIT_OPEN_SECONDS * 1000 },
      prices: env.SMS_PRICES ? parsePrices(env.SMS_PRICES, SMS_PROVIDER_NAMES).prices : [],
      uzsPerUsd: env.UZS_PER_USD,
    },
    webhooks,
    /** Development mode: no SMS provider is enabled, so codes go to the log and the response instead. */
    devMode: enabled.length === 0,
  }
}
