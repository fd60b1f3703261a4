import type { Static, TObject } from 'typebox'
import type { ReceiptLinks, ReceiptStatus } from './connector.js'
import { ConsoleProvider } from './console/provider.js'
import { eskiz } from './eskiz/index.js'
import { http } from './http/index.js'
import { playmobile } from './playmobile/index.js'
import type { SmsProvider } from './provider.js'
import { telegram } from './telegram/index.js'
import { twilio } from './twilio/index.js'

/**
 * Every SMS gateway, in the default order for Uzbek numbers. A new gateway is a folder beside these (its
 * settings, provider, receipts and doctor check) and one line here. Telegram comes last: without SMS_ROUTES it
 * is only a last resort, since putting it first is worth it only with a wait for its delivery report
 * (`UZ=telegram(wait=12s),eskiz`), which needs PUBLIC_BASE_URL.
 */
export const CONNECTORS = [eskiz, playmobile, http, twilio, telegram] as const

type AnyConnector = (typeof CONNECTORS)[number]

/** Names of the real SMS providers, in the default order for Uzbek numbers. */
export const SMS_PROVIDER_NAMES = CONNECTORS.map((c) => c.name)
export type SmsProviderName = AnyConnector['name'] | 'console'

/** Every connector's settings, merged: their pieces of the settings schema. */
export const CHANNEL_SETTINGS = Object.assign(
  {},
  ...CONNECTORS.map((c) => c.settings),
) as UnionToIntersection<AnyConnector['settings']>
export const CHANNEL_SECRETS = CONNECTORS.flatMap((c) => c.secrets)
export type ChannelEnv = Static<TObject<typeof CHANNEL_SETTINGS>>

/** Each gateway's settings by name: null when disabled. */
export type ChannelSettings = {
  [C in AnyConnector as C['name']]: ReturnType<C['configure']>
}

// A connector's functions typed for its own settings, called with the merged ones.
type Loose = {
  name: string
  enabled(env: ChannelEnv): boolean
  problems(env: ChannelEnv): string[]
  configure(env: ChannelEnv, links: ReceiptLinks): unknown
  start(settings: unknown, timeoutMs: number): { provider: SmsProvider; logLine: string }
  disabledLine?: string
  receiptStatus?(raw: string): ReceiptStatus | null
}
const loose = CONNECTORS as readonly Loose[]

/** Names of the gateways the settings enable, in list order. */
export const enabledChannels = (env: ChannelEnv): SmsProviderName[] =>
  loose.filter((c) => c.enabled(env)).map((c) => c.name as SmsProviderName)

export const channelProblems = (env: ChannelEnv): string[] =>
  loose.filter((c) => c.enabled(env)).flatMap((c) => c.problems(env))

export const channelSettings = (env: ChannelEnv, links: ReceiptLinks): ChannelSettings =>
  Object.fromEntries(loose.map((c) => [c.name, c.configure(env, links)])) as ChannelSettings

/** The providers the settings enable (SMS_ROUTES decides, per country, which are tried and in what order). */
export function configuredProviders(
  {
    sms,
  }: {
    sms: ChannelSettings & {
      timeoutMs: number
      routes: {
        byCountry: Record<string, string[]>
        fallback: string[]
        waits?: Record<string, Record<string, number>>
      }
    }
  },
  log: { info(message: string): void },
): SmsProvider[] {
  const providers: SmsProvider[] = []
  for (const c of loose) {
    const settings = (sms as unknown as Record<string, unknown>)[c.name]
    if (settings === null || settings === undefined) {
      if (c.disabledLine) log.info(c.disabledLine)
      continue
    }
    const { provider, logLine } = c.start(settings, sms.timeoutMs)
    providers.push(provider)
    log.info(logLine)
  }
  if (providers.length > 0) {
    log.info(`SMS routes: ${describeRoutes(sms.routes)}`)
    return providers
  }
  log.info('No SMS provider enabled: development mode, codes are logged and returned in responses')
  return [new ConsoleProvider()]
}

/** The routes as SMS_ROUTES writes them: `UZ=telegram(wait=12s),eskiz,twilio; *=twilio`. */
export function describeRoutes({
  byCountry,
  fallback,
  waits,
}: {
  byCountry: Record<string, string[]>
  fallback: string[]
  waits?: Record<string, Record<string, number>>
}): string {
  const steps = (country: string, names: string[]) =>
    names
      .map((n) => {
        const ms = waits?.[country]?.[n]
        return ms === undefined ? n : `${n}(wait=${ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`})`
      })
      .join(',')
  return [
    ...Object.entries(byCountry).map(([c, names]) => `${c}=${steps(c, names)}`),
    `*=${steps('*', fallback)}`,
  ].join('; ')
}

/** A gateway's delivery status onto ours; null for an unknown gateway or spelling. */
export function receiptStatus(provider: string, raw: string): ReceiptStatus | null {
  return loose.find((c) => c.name === provider)?.receiptStatus?.(raw) ?? null
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never
