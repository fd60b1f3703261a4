import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { parse as parseDotenv } from 'dotenv'
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max'
import Type, { type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'

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
  SMS_TIMEOUT_MS: int(5000, 100, 60000, 'milliseconds'),
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
const SECRET_SETTINGS = new Set(['SECRET_KEY', 'TWILIO_AUTH_TOKEN', 'ADMIN_TOKEN'])

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

function describe(key: string, value: unknown): string {
  if (SECRET_SETTINGS.has(key)) return ''
  return ` (got ${JSON.stringify(value)})`
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
  }
  if (env.ALLOWED_COUNTRIES !== '*') {
    for (const c of env.ALLOWED_COUNTRIES.split(',').map((s) => s.trim().toUpperCase())) {
      if (!isSupportedCountry(c)) problems.push(`ALLOWED_COUNTRIES: unknown country code "${c}"`)
    }
  }
  if (!isTimeZone(env.ADMIN_TIMEZONE))
    problems.push(`ADMIN_TIMEZONE: unknown time zone${describe('', env.ADMIN_TIMEZONE)}`)
  if (env.APP_ENV === 'production') {
    if (!env.SECRET_KEY)
      problems.push('SECRET_KEY: required in production (a random string of 32 characters or more)')
    if (!env.TWILIO_ENABLED)
      problems.push(
        'SMS: no SMS provider is enabled; production refuses to start in development mode, where codes are shown in responses (set TWILIO_ENABLED=true)',
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

function toConfig(env: Env) {
  const sqlitePath = env.DATABASE_URL.startsWith('sqlite:') ? env.DATABASE_URL.slice('sqlite:'.length) : null
  const twilio = env.TWILIO_ENABLED
    ? {
        accountSid: env.TWILIO_ACCOUNT_SID as string,
        authToken: env.TWILIO_AUTH_TOKEN as string,
        phoneNumber: env.TWILIO_PHONE_NUMBER ?? null,
        messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID ?? null,
        baseUrl: env.TWILIO_API_BASE_URL.replace(/\/+$/, ''),
      }
    : null
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
    sms: { timeoutMs: env.SMS_TIMEOUT_MS, twilio },
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
    /** The admin console and its API; null when ADMIN_TOKEN is unset (both answer 404 ADMIN_DISABLED). */
    admin: env.ADMIN_TOKEN ? { token: env.ADMIN_TOKEN, timeZone: env.ADMIN_TIMEZONE } : null,
    /** Development mode: no SMS provider is enabled, so codes go to the log and the response instead. */
    devMode: twilio === null,
  }
}

export type Config = ReturnType<typeof toConfig>
