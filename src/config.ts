import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { parse as parseDotenv } from 'dotenv'
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max'
import Type, { type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { parsePhone } from './phone/index.js'

// The one place that reads process.env. Every setting is declared once here: its type, default and the
// hint shown when it is wrong. The typed Config is derived from this schema, never written by hand.

const oneOf = <const T extends string[]>(values: readonly [...T], def: T[number], description: string) =>
  Type.Enum<T>(values, { default: def, description })
const bool = (def: boolean, description: string) => Type.Boolean({ default: def, description })
const int = (def: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: def, minimum, maximum, description: `${description} (${minimum}..${maximum})` })
const optionalString = (description: string) => Type.Optional(Type.String({ description }))

export const LANGUAGES = ['uz', 'ru', 'en'] as const
export type Language = (typeof LANGUAGES)[number]

export const EnvSchema = Type.Object({
  PORT: int(8080, 0, 65535, 'TCP port to listen on (0: any free port)'),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'address to listen on' }),
  APP_ENV: oneOf(['development', 'test', 'production'], 'development', 'development, test or production'),
  DATABASE_URL: Type.String({
    default: 'sqlite:./data/royal-taxi.db',
    pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
    description: 'sqlite:<path> or postgres://user:password@host:port/database',
  }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://.+', description: 'redis://host:port[/db]' })),
  REDIS_KEY_PREFIX: Type.String({
    default: 'royal-taxi:',
    description: 'prefix of every Redis key we write',
  }),
  SECRET_KEY: Type.Optional(
    Type.String({ minLength: 32, description: 'a random string of 32 characters or more' }),
  ),
  LOG_LEVEL: oneOf(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    'info',
    'fatal, error, warn, info, debug, trace or silent',
  ),
  LOG_FILE: Type.String({
    default: 'logs/app.log',
    description: 'path of the log file ("-" for stdout only)',
  }),
  TWILIO_ENABLED: bool(false, 'true or false'),
  TWILIO_ACCOUNT_SID: optionalString('AC followed by 32 hexadecimal digits'),
  TWILIO_AUTH_TOKEN: optionalString('the Auth Token from the Twilio console (32 hexadecimal characters)'),
  TWILIO_PHONE_NUMBER: optionalString('an E.164 number such as +15017122661'),
  TWILIO_MESSAGING_SERVICE_SID: optionalString('MG followed by 32 hexadecimal digits'),
  TWILIO_API_BASE_URL: Type.String({
    default: 'https://api.twilio.com',
    pattern: '^https?://[^/]+',
    description: 'an http(s) URL',
  }),
  TWILIO_CA_BUNDLE: optionalString('a readable PEM file of certificate authorities'),
  // Often set machine-wide for other programs: checked only when Twilio, the one user, is enabled.
  HTTP_PROXY: optionalString('an http(s) URL such as http://proxy.internal:3128'),
  HTTPS_PROXY: optionalString('an http(s) URL such as http://proxy.internal:3128'),
  NO_PROXY: optionalString('host names, .domain suffixes or host:port, comma-separated, or *'),
  SMS_TIMEOUT_MS: int(5000, 100, 60000, 'milliseconds'),
  ESKIZ_ENABLED: bool(false, 'true or false'),
  ESKIZ_EMAIL: optionalString('the e-mail you log in to Eskiz with'),
  ESKIZ_PASSWORD: optionalString('the Eskiz password (or API secret)'),
  ESKIZ_FROM: Type.String({ default: '4546', minLength: 1, description: 'the sender name or number' }),
  ESKIZ_API_BASE_URL: Type.String({
    default: 'https://notify.eskiz.uz',
    pattern: '^https?://[^/]+',
    description: 'an http(s) URL',
  }),
  PLAYMOBILE_ENABLED: bool(false, 'true or false'),
  PLAYMOBILE_LOGIN: optionalString('the Playmobile broker login'),
  PLAYMOBILE_PASSWORD: optionalString('the Playmobile broker password'),
  PLAYMOBILE_ORIGINATOR: Type.String({
    default: '3700',
    minLength: 1,
    description: 'the sender name or number',
  }),
  PLAYMOBILE_API_BASE_URL: Type.String({
    default: 'https://send.smsxabar.uz',
    pattern: '^https?://[^/]+',
    description: 'an http(s) URL',
  }),
  HTTP_SMS_URL: Type.Optional(Type.String({ pattern: '^https?://[^/]+', description: 'an http(s) URL' })),
  HTTP_SMS_SECRET: Type.Optional(
    Type.String({ minLength: 16, description: 'a shared secret of 16 characters or more' }),
  ),
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
  OTP_LENGTH: int(6, 4, 10, 'digits'),
  OTP_TTL_SECONDS: Type.Integer({
    default: 300,
    minimum: 60,
    maximum: 3600,
    multipleOf: 60,
    description: 'seconds, a whole number of minutes from 60 to 3600 (the texts say "5 daqiqa")',
  }),
  OTP_MAX_ATTEMPTS: int(5, 1, 20, 'wrong tries before a code is destroyed'),
  OTP_RESEND_SECONDS: int(60, 0, 3600, 'seconds'),
  OTP_IP_LIMIT_PER_MINUTE: int(5, 1, 1_000_000, 'requests'),
  ALLOWED_COUNTRIES: Type.String({
    default: 'UZ',
    pattern: '^(\\*|[A-Za-z]{2}(\\s*,\\s*[A-Za-z]{2})*)$',
    description: 'comma-separated ISO country codes such as UZ,KZ, or *',
  }),
  TRUST_PROXY: Type.String({
    default: 'false',
    pattern: '^(true|false|\\d+|[0-9a-fA-F.:/]+(\\s*,\\s*[0-9a-fA-F.:/]+)*)$',
    description: 'false, true, a number of proxy hops, or comma-separated proxy addresses/CIDRs',
  }),
  DEFAULT_LANGUAGE: oneOf(LANGUAGES, 'uz', 'uz, ru or en'),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      pattern: '^\\S+$',
      description: 'a random string of 16 characters or more, without spaces',
    }),
  ),
  CORS_ORIGINS: Type.String({
    default: '',
    pattern: '^(|\\*|https?://[^,\\s]+(\\s*,\\s*https?://[^,\\s]+)*)$',
    description:
      'empty (no cross-origin browser access), * or comma-separated origins such as https://app.example.uz',
  }),
  OTP_MAX_PER_NUMBER_HOUR: int(5, 1, 1000, 'codes one number may receive in an hour'),
  OTP_MAX_PER_NUMBER_DAY: int(10, 1, 10000, 'codes one number may receive in a day'),
  OTP_MAX_FAILED_VERIFICATIONS_PER_DAY: int(100, 1, 100000, 'wrong codes one number may try per UTC day'),
  VERIFY_IP_LIMIT_PER_MINUTE: int(30, 1, 1_000_000, 'verify-otp requests one IP may make per minute'),
  REFRESH_IP_LIMIT_PER_MINUTE: int(30, 1, 1_000_000, 'refresh requests one IP may make per minute'),
  SMS_DAILY_LIMIT: int(0, 0, 100_000_000, 'SMS per UTC day, 0 for no limit'),
  SMS_DAILY_BUDGET_USD: Type.Number({
    default: 0,
    minimum: 0,
    maximum: 1_000_000,
    description: 'US dollars of SMS per UTC day, 0 for no limit (0..1000000)',
  }),
  PUMPING_PREFIX_DROP_DIGITS: int(3, 1, 8, 'trailing digits dropped from a number to get its prefix'),
  PUMPING_WINDOW_SECONDS: int(3600, 60, 7 * 86400, 'seconds over which a prefix is watched'),
  PUMPING_MAX_CODES_PER_PREFIX: int(30, 1, 1_000_000, 'codes one prefix may receive in the window'),
  PUMPING_MIN_SAMPLE: int(20, 1, 1_000_000, 'codes sent to a prefix before its verification rate is judged'),
  PUMPING_MIN_VERIFY_RATE: Type.Number({
    default: 0.1,
    minimum: 0,
    maximum: 1,
    description: 'share of sent codes that must be verified, 0 to disable (0..1)',
  }),
  PUMPING_BLOCK_SECONDS: int(43200, 60, 30 * 86400, 'seconds a suspicious prefix stays blocked'),
  TEST_OTP_NUMBERS: Type.String({
    default: '',
    pattern: '^(|\\+\\d{7,15}:\\d{4,10}(\\s*,\\s*\\+\\d{7,15}:\\d{4,10})*)$',
    description: 'comma-separated number:code pairs such as +998900000001:111111',
  }),
  ALLOW_TEST_NUMBERS_IN_PRODUCTION: bool(false, 'true or false'),
  CAPTCHA_PROVIDER: oneOf(['none', 'turnstile', 'hcaptcha'], 'none', 'none, turnstile or hcaptcha'),
  CAPTCHA_SECRET: optionalString('the secret key from the CAPTCHA provider'),
  CAPTCHA_VERIFY_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^/]+', description: "an http(s) URL (default: the provider's)" }),
  ),
  ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'a random string of 32 characters or more (unset: the admin console is disabled)',
    }),
  ),
  ADMIN_TIMEZONE: Type.String({
    default: 'Asia/Tashkent',
    minLength: 1,
    description: "an IANA time zone such as Asia/Tashkent: the days of the admin console's reports",
  }),
})

export type Env = Static<typeof EnvSchema>

/** Settings whose values must never be echoed, not even in a start-up error. */
const SECRET_SETTINGS = new Set([
  'SECRET_KEY',
  'TWILIO_AUTH_TOKEN',
  // A proxy's URL may carry its user and password.
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ESKIZ_PASSWORD',
  'PLAYMOBILE_PASSWORD',
  'HTTP_SMS_SECRET',
  'WEBHOOK_TOKEN',
  'METRICS_TOKEN',
  'CAPTCHA_SECRET',
  'ADMIN_TOKEN',
])

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** Reads `.env` (if present) under the process environment: a variable set in the environment wins. */
export function readEnv(
  envFile = '.env',
  processEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {}
  const merged: Record<string, string> = { ...fromFile }
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) merged[k] = v
  return merged
}

/**
 * Settings of the env file that the process environment overrides with another value (the environment wins,
 * which surprises whoever just edited the file). Names only: values may be secrets.
 */
export function environmentOverrides(
  fileSettings: Record<string, string>,
  processEnv: NodeJS.ProcessEnv = process.env,
): string[] {
  return Object.keys(fileSettings).filter(
    (k) => k in EnvSchema.properties && processEnv[k] !== undefined && processEnv[k] !== fileSettings[k],
  )
}

function describe(key: string, value: unknown): string {
  if (SECRET_SETTINGS.has(key)) return ''
  return ` (got ${JSON.stringify(value)})`
}

/** A base URL or origin as compared and joined with paths: `https://x.uz/` and `https://x.uz` are one. */
function withoutTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '')
}

function parseTrustProxy(raw: string): boolean | number | string[] {
  if (raw === 'true') return true
  if (raw === 'false') return false
  if (/^\d+$/.test(raw)) return Number(raw)
  return raw.split(',').map((s) => s.trim())
}

/**
 * Validates every setting and returns a frozen, typed Config. Throws ConfigError listing every problem at once,
 * so an operator fixes a broken .env in one pass instead of one restart per mistake.
 */
export function loadConfig(source: Record<string, string | undefined> = readEnv()) {
  const raw: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const v = source[key]?.trim()
    // An empty value (`TWILIO_AUTH_TOKEN=`) means "not set", as in the Python service.
    if (v !== undefined && v !== '') raw[key] = v
  }
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, Value.Clone(raw))) as Record<string, unknown>
  const problems: string[] = []
  // Each setting is checked on its own, so every wrong one is reported (not just the first few), and a wrong
  // one falls back to its default for the cross-checks below.
  for (const [key, schema] of Object.entries(
    EnvSchema.properties as Record<string, TSchema & { description?: string }>,
  )) {
    if (env[key] === undefined || Value.Check(schema, env[key])) continue
    problems.push(`${key}: expected ${schema.description}${describe(key, raw[key])}`)
    env[key] = (schema as { default?: unknown }).default
  }
  problems.push(...crossChecks(env as unknown as Env))
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(toConfig(env as unknown as Env))
}

/** A proxy setting as a URL: `proxy:3128` without a scheme means http://, as curl reads it. Null if unusable. */
function proxyUrl(value: string): string | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  try {
    const url = new URL(withScheme)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? withScheme : null
  } catch {
    return null
  }
}

/** Why a CA bundle cannot be used (missing, unreadable, no certificate in it), or null when it can. */
function unreadablePem(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').includes('-----BEGIN CERTIFICATE-----')
      ? null
      : 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message
  }
}

function crossChecks(env: Env): string[] {
  const problems: string[] = []
  if (env.TWILIO_ENABLED) {
    if (!env.TWILIO_ACCOUNT_SID) problems.push('TWILIO_ACCOUNT_SID: required when TWILIO_ENABLED=true')
    else if (!/^AC[0-9a-fA-F]{32}$/.test(env.TWILIO_ACCOUNT_SID))
      problems.push(
        `TWILIO_ACCOUNT_SID: expected AC followed by 32 hexadecimal digits${describe('', env.TWILIO_ACCOUNT_SID)}`,
      )
    if (!env.TWILIO_AUTH_TOKEN) problems.push('TWILIO_AUTH_TOKEN: required when TWILIO_ENABLED=true')
    // Twilio's Auth Token is 32 hexadecimal characters; anything else is a bad paste (the console's masked
    // dots, half the token) that would only show up as 20003 Authenticate on the first SMS. Value not echoed.
    else if (!/^[0-9a-fA-F]{32}$/.test(env.TWILIO_AUTH_TOKEN))
      problems.push(
        'TWILIO_AUTH_TOKEN: expected the 32 hexadecimal characters of the Auth Token from the Twilio console (value not shown)',
      )
    if (env.TWILIO_MESSAGING_SERVICE_SID) {
      if (!/^MG[0-9a-fA-F]{32}$/.test(env.TWILIO_MESSAGING_SERVICE_SID))
        problems.push(
          `TWILIO_MESSAGING_SERVICE_SID: expected MG followed by 32 hexadecimal digits${describe('', env.TWILIO_MESSAGING_SERVICE_SID)}`,
        )
    } else if (!env.TWILIO_PHONE_NUMBER) {
      problems.push(
        'TWILIO_PHONE_NUMBER: required when TWILIO_ENABLED=true (or set TWILIO_MESSAGING_SERVICE_SID)',
      )
    }
    if (env.TWILIO_PHONE_NUMBER && !/^\+[1-9]\d{6,14}$/.test(env.TWILIO_PHONE_NUMBER))
      problems.push(
        `TWILIO_PHONE_NUMBER: expected an E.164 number such as +15017122661${describe('', env.TWILIO_PHONE_NUMBER)}`,
      )
    for (const key of ['HTTP_PROXY', 'HTTPS_PROXY'] as const)
      if (env[key] && !proxyUrl(env[key]))
        problems.push(`${key}: expected an http(s) URL such as http://proxy.internal:3128`)
    if (env.TWILIO_CA_BUNDLE) {
      const problem = unreadablePem(env.TWILIO_CA_BUNDLE)
      if (problem) problems.push(`TWILIO_CA_BUNDLE: cannot use ${env.TWILIO_CA_BUNDLE}: ${problem}`)
    }
  }
  if (env.ALLOWED_COUNTRIES !== '*') {
    for (const c of env.ALLOWED_COUNTRIES.split(',').map((s) => s.trim().toUpperCase())) {
      if (!isSupportedCountry(c)) problems.push(`ALLOWED_COUNTRIES: unknown country code "${c}"`)
    }
  }
  if (env.CAPTCHA_PROVIDER !== 'none' && !env.CAPTCHA_SECRET)
    problems.push(`CAPTCHA_SECRET: required when CAPTCHA_PROVIDER=${env.CAPTCHA_PROVIDER}`)
  for (const [number] of parseTestNumbers(env.TEST_OTP_NUMBERS)) {
    if (parsePhone(number)?.e164 !== number)
      problems.push(`TEST_OTP_NUMBERS: ${number} is not a valid mobile number in E.164`)
  }
  if (env.ESKIZ_ENABLED) {
    if (!env.ESKIZ_EMAIL) problems.push('ESKIZ_EMAIL: required when ESKIZ_ENABLED=true')
    if (!env.ESKIZ_PASSWORD) problems.push('ESKIZ_PASSWORD: required when ESKIZ_ENABLED=true')
  }
  if (env.PLAYMOBILE_ENABLED) {
    if (!env.PLAYMOBILE_LOGIN) problems.push('PLAYMOBILE_LOGIN: required when PLAYMOBILE_ENABLED=true')
    if (!env.PLAYMOBILE_PASSWORD) problems.push('PLAYMOBILE_PASSWORD: required when PLAYMOBILE_ENABLED=true')
  }
  if (env.HTTP_SMS_URL && !env.HTTP_SMS_SECRET)
    problems.push('HTTP_SMS_SECRET: required when HTTP_SMS_URL is set (requests are signed with it)')
  const enabled = enabledProviders(env)
  if (env.SMS_ROUTES) problems.push(...parseRoutes(env.SMS_ROUTES, enabled).problems)
  if (env.SMS_PRICES) problems.push(...parsePrices(env.SMS_PRICES).problems)
  if (env.PUBLIC_BASE_URL && !env.WEBHOOK_TOKEN && (env.ESKIZ_ENABLED || env.PLAYMOBILE_ENABLED))
    problems.push(
      'WEBHOOK_TOKEN: required when PUBLIC_BASE_URL is set and Eskiz or Playmobile is enabled (their delivery receipts carry it in the URL)',
    )
  if (!isTimeZone(env.ADMIN_TIMEZONE))
    problems.push(`ADMIN_TIMEZONE: unknown time zone${describe('', env.ADMIN_TIMEZONE)}`)
  if (env.APP_ENV === 'production') {
    if (!env.SECRET_KEY)
      problems.push('SECRET_KEY: required in production (a random string of 32 characters or more)')
    else if (isWeakSecret(env.SECRET_KEY))
      problems.push(
        'SECRET_KEY: too weak for production (a repeated pattern or a placeholder); generate one with `openssl rand -base64 48`',
      )
    if (enabled.length === 0)
      problems.push(
        'SMS: no SMS provider is enabled; production refuses to start in development mode, where codes are shown in responses (enable one of TWILIO_ENABLED, ESKIZ_ENABLED, PLAYMOBILE_ENABLED or set HTTP_SMS_URL)',
      )
  }
  return problems
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

// Words of the placeholders people paste from examples; a real key is random.
const PLACEHOLDER_SECRET = /change.?me|example|placeholder|your.?(secret|key)|x{8}/i

/**
 * A production key must be random, not only long: fewer than 16 distinct characters in 32+ (a repeated
 * pattern), or a placeholder word, is refused. `openssl rand -base64 48` passes with room to spare.
 */
export function isWeakSecret(secret: string): boolean {
  return new Set(secret).size < 16 || PLACEHOLDER_SECRET.test(secret)
}

function parseTestNumbers(raw: string): Map<string, string> {
  const numbers = new Map<string, string>()
  for (const pair of raw.split(',')) {
    const [number, code] = pair.trim().split(':')
    if (number && code) numbers.set(number, code)
  }
  return numbers
}

const CAPTCHA_VERIFY_URLS = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
} as const

/** Names of the real SMS providers the settings enable, in the default order for Uzbek numbers. */
export const SMS_PROVIDER_NAMES = ['eskiz', 'playmobile', 'http', 'twilio'] as const
export type SmsProviderName = (typeof SMS_PROVIDER_NAMES)[number] | 'console'

function enabledProviders(env: Env): SmsProviderName[] {
  const on: Record<(typeof SMS_PROVIDER_NAMES)[number], boolean> = {
    eskiz: env.ESKIZ_ENABLED,
    playmobile: env.PLAYMOBILE_ENABLED,
    http: env.HTTP_SMS_URL !== undefined,
    twilio: env.TWILIO_ENABLED,
  }
  return SMS_PROVIDER_NAMES.filter((n) => on[n])
}

export interface SmsRoutes {
  /** Ordered provider names per ISO country code (upper case). */
  byCountry: Record<string, string[]>
  /** For countries without their own entry (`*`). */
  fallback: string[]
}

/**
 * Default routes: Uzbek numbers local gateways first (cheaper, and they reach every Uzbek operator), Twilio
 * last; other countries Twilio first, then the generic HTTP gateway, then the local ones.
 */
function defaultRoutes(enabled: SmsProviderName[]): SmsRoutes {
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
    const names = (m[2] as string).split(',').map((n) => n.trim().toLowerCase())
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
  if (!hasFallback) routes.fallback = defaultRoutes(enabled as SmsProviderName[]).fallback
  return { routes, problems }
}

export interface PriceOverride {
  provider: string
  /** ISO code or `*` for every country without its own price. */
  country: string
  amount: number
  /** null: the provider's own currency. */
  currency: 'USD' | 'UZS' | null
}

/** Parses `eskiz:UZ=85;twilio:KZ=0.21 USD;http:*=70 UZS`. */
export function parsePrices(raw: string): { prices: PriceOverride[]; problems: string[] } {
  const problems: string[] = []
  const prices: PriceOverride[] = []
  for (const entry of raw.split(';').map((e) => e.trim())) {
    if (!entry) continue
    const m = /^([a-z]+):(\*|[A-Za-z]{2})\s*=\s*(\d+(?:\.\d+)?)\s*(USD|UZS)?$/i.exec(entry)
    if (!m) {
      problems.push(`SMS_PRICES: expected provider:COUNTRY=price[ USD|UZS] (got ${JSON.stringify(entry)})`)
      continue
    }
    const provider = (m[1] as string).toLowerCase()
    if (!(SMS_PROVIDER_NAMES as readonly string[]).includes(provider))
      problems.push(`SMS_PRICES: unknown provider "${provider}" (expected ${SMS_PROVIDER_NAMES.join(', ')})`)
    const country = (m[2] as string).toUpperCase()
    if (country !== '*' && !isSupportedCountry(country))
      problems.push(`SMS_PRICES: unknown country code "${country}"`)
    prices.push({
      provider,
      country,
      amount: Number(m[3]),
      currency: m[4] ? (m[4].toUpperCase() as 'USD' | 'UZS') : null,
    })
  }
  return { prices, problems }
}

function toConfig(env: Env) {
  const sqlitePath = env.DATABASE_URL.startsWith('sqlite:') ? env.DATABASE_URL.slice('sqlite:'.length) : null
  const publicBaseUrl = env.PUBLIC_BASE_URL === undefined ? null : withoutTrailingSlashes(env.PUBLIC_BASE_URL)
  const twilio = env.TWILIO_ENABLED
    ? {
        accountSid: env.TWILIO_ACCOUNT_SID as string,
        authToken: env.TWILIO_AUTH_TOKEN as string,
        phoneNumber: env.TWILIO_PHONE_NUMBER ?? null,
        messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID ?? null,
        baseUrl: withoutTrailingSlashes(env.TWILIO_API_BASE_URL),
        statusCallback: publicBaseUrl ? `${publicBaseUrl}/api/v1/webhooks/twilio/status` : null,
        http: {
          caBundle: env.TWILIO_CA_BUNDLE ?? null,
          httpProxy: env.HTTP_PROXY ? proxyUrl(env.HTTP_PROXY) : null,
          httpsProxy: env.HTTPS_PROXY ? proxyUrl(env.HTTPS_PROXY) : null,
          noProxy: env.NO_PROXY ?? null,
        },
      }
    : null
  const webhookToken = env.WEBHOOK_TOKEN ?? null
  const eskizCallback =
    publicBaseUrl && webhookToken
      ? `${publicBaseUrl}/api/v1/webhooks/eskiz/status?token=${webhookToken}`
      : null
  const eskiz = env.ESKIZ_ENABLED
    ? {
        email: env.ESKIZ_EMAIL as string,
        password: env.ESKIZ_PASSWORD as string,
        from: env.ESKIZ_FROM,
        baseUrl: withoutTrailingSlashes(env.ESKIZ_API_BASE_URL),
        callbackUrl: eskizCallback,
      }
    : null
  const playmobile = env.PLAYMOBILE_ENABLED
    ? {
        login: env.PLAYMOBILE_LOGIN as string,
        password: env.PLAYMOBILE_PASSWORD as string,
        originator: env.PLAYMOBILE_ORIGINATOR,
        baseUrl: withoutTrailingSlashes(env.PLAYMOBILE_API_BASE_URL),
      }
    : null
  const httpGateway = env.HTTP_SMS_URL
    ? { url: env.HTTP_SMS_URL, secret: env.HTTP_SMS_SECRET as string }
    : null
  const enabled = enabledProviders(env)
  return {
    env: env.APP_ENV,
    http: { port: env.PORT, host: env.HOST, trustProxy: parseTrustProxy(env.TRUST_PROXY) },
    database:
      sqlitePath !== null
        ? { kind: 'sqlite' as const, path: sqlitePath }
        : { kind: 'postgres' as const, url: env.DATABASE_URL },
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : null,
    secretKey: env.SECRET_KEY ?? randomBytes(32).toString('base64url'),
    secretKeyGenerated: env.SECRET_KEY === undefined,
    log: { level: env.LOG_LEVEL, file: env.LOG_FILE === '-' ? null : env.LOG_FILE },
    sms: {
      timeoutMs: env.SMS_TIMEOUT_MS,
      twilio,
      eskiz,
      playmobile,
      http: httpGateway,
      /** Real providers enabled, in the default Uzbek order; empty in development mode. */
      enabled,
      routes: env.SMS_ROUTES ? parseRoutes(env.SMS_ROUTES, enabled).routes : defaultRoutes(enabled),
      circuit: { failures: env.SMS_CIRCUIT_FAILURES, openMs: env.SMS_CIRCUIT_OPEN_SECONDS * 1000 },
      prices: env.SMS_PRICES ? parsePrices(env.SMS_PRICES).prices : [],
      uzsPerUsd: env.UZS_PER_USD,
    },
    webhooks: { publicBaseUrl, token: webhookToken },
    otp: {
      length: env.OTP_LENGTH,
      ttlSeconds: env.OTP_TTL_SECONDS,
      maxAttempts: env.OTP_MAX_ATTEMPTS,
      resendSeconds: env.OTP_RESEND_SECONDS,
      ipLimitPerMinute: env.OTP_IP_LIMIT_PER_MINUTE,
    },
    allowedCountries:
      env.ALLOWED_COUNTRIES === '*'
        ? ('*' as const)
        : new Set(env.ALLOWED_COUNTRIES.split(',').map((s) => s.trim().toUpperCase() as CountryCode)),
    defaultLanguage: env.DEFAULT_LANGUAGE,
    /** `GET /metrics` requires `Authorization: Bearer <token>` when set. */
    metrics: { token: env.METRICS_TOKEN ?? null },
    cors: {
      origins:
        env.CORS_ORIGINS === ''
          ? null
          : env.CORS_ORIGINS === '*'
            ? ('*' as const)
            : env.CORS_ORIGINS.split(',').map((s) => withoutTrailingSlashes(s.trim())),
    },
    abuse: {
      perNumberHour: env.OTP_MAX_PER_NUMBER_HOUR,
      perNumberDay: env.OTP_MAX_PER_NUMBER_DAY,
      failedVerificationsPerDay: env.OTP_MAX_FAILED_VERIFICATIONS_PER_DAY,
      verifyIpLimitPerMinute: env.VERIFY_IP_LIMIT_PER_MINUTE,
      refreshIpLimitPerMinute: env.REFRESH_IP_LIMIT_PER_MINUTE,
      smsDailyLimit: env.SMS_DAILY_LIMIT,
      smsDailyBudgetUsd: env.SMS_DAILY_BUDGET_USD,
      pumping: {
        dropDigits: env.PUMPING_PREFIX_DROP_DIGITS,
        windowSeconds: env.PUMPING_WINDOW_SECONDS,
        maxCodesPerPrefix: env.PUMPING_MAX_CODES_PER_PREFIX,
        minSample: env.PUMPING_MIN_SAMPLE,
        minVerifyRate: env.PUMPING_MIN_VERIFY_RATE,
        blockSeconds: env.PUMPING_BLOCK_SECONDS,
      },
    },
    /** Fixed codes for app-store review and end-to-end tests; empty in production unless explicitly allowed. */
    testNumbers:
      env.APP_ENV === 'production' && !env.ALLOW_TEST_NUMBERS_IN_PRODUCTION
        ? new Map<string, string>()
        : parseTestNumbers(env.TEST_OTP_NUMBERS),
    /** TEST_OTP_NUMBERS were set but are ignored because this is production without the explicit allowance. */
    testNumbersIgnored:
      env.APP_ENV === 'production' && !env.ALLOW_TEST_NUMBERS_IN_PRODUCTION && env.TEST_OTP_NUMBERS !== '',
    captcha:
      env.CAPTCHA_PROVIDER === 'none'
        ? null
        : {
            provider: env.CAPTCHA_PROVIDER,
            secret: env.CAPTCHA_SECRET as string,
            verifyUrl: env.CAPTCHA_VERIFY_URL ?? CAPTCHA_VERIFY_URLS[env.CAPTCHA_PROVIDER],
          },
    /** The admin console and its API; null when ADMIN_TOKEN is unset (both answer 404 ADMIN_DISABLED). */
    admin: env.ADMIN_TOKEN ? { token: env.ADMIN_TOKEN, timeZone: env.ADMIN_TIMEZONE } : null,
    /** Development mode: no SMS provider is enabled, so codes go to the log and the response instead. */
    devMode: enabled.length === 0,
  }
}

export type Config = ReturnType<typeof toConfig>
