import { existsSync, readFileSync } from 'node:fs'
import { parse as parseDotenv } from 'dotenv'
import Type, { type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { ABUSE_SETTINGS, abuseConfig } from './config/abuse.js'
import { ADMIN_SETTINGS, adminConfig, adminProblems } from './config/admin.js'
import { AUTOFILL_SETTINGS, autofillConfig, autofillProblems } from './config/autofill.js'
import { HTTP_SETTINGS, httpConfig } from './config/http.js'
import { LOGGING_SETTINGS, loggingConfig } from './config/logging.js'
import { OTP_SETTINGS, otpConfig, otpProblems } from './config/otp.js'
import { PASSKEY_SETTINGS, passkeyConfig, passkeyProblems } from './config/passkeys.js'
import { SECRET_SETTINGS, secretConfig, secretProblems } from './config/secret.js'
import { SERVER_SETTINGS, serverConfig } from './config/server.js'
import { SMS_SECRETS, SMS_SETTINGS, smsConfig, smsProblems } from './config/sms.js'
import { STORAGE_SETTINGS, storageConfig } from './config/storage.js'
import { TOKEN_SETTINGS, tokenConfig } from './config/tokens.js'
import { got } from './settings.js'

// The one place that reads process.env. Each capability declares its settings in its own piece (src/config/,
// and each SMS gateway in its folder under src/channels/): type, default and the hint shown when a value is
// wrong. This file composes them; the typed Config is derived from the pieces, never written by hand.

export { SMS_PROVIDER_NAMES, type SmsProviderName } from './channels/index.js'
export { isWeakSecret } from './config/secret.js'
export { LANGUAGES, type Language } from './config/server.js'
export { parseRoutes, type SmsRoutes } from './config/sms.js'
export type { PriceOverride } from './pricing.js'

export const EnvSchema = Type.Object({
  ...SERVER_SETTINGS,
  ...HTTP_SETTINGS,
  ...STORAGE_SETTINGS,
  ...SECRET_SETTINGS,
  ...LOGGING_SETTINGS,
  ...SMS_SETTINGS,
  ...OTP_SETTINGS,
  ...AUTOFILL_SETTINGS,
  ...ABUSE_SETTINGS,
  ...ADMIN_SETTINGS,
  ...TOKEN_SETTINGS,
  ...PASSKEY_SETTINGS,
})

export type Env = Static<typeof EnvSchema>

/** Settings whose values must never be echoed, not even in a start-up error. */
const SECRETS = new Set(['SECRET_KEY', ...SMS_SECRETS, 'METRICS_TOKEN', 'CAPTCHA_SECRET', 'ADMIN_TOKEN'])

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
    problems.push(`${key}: expected ${schema.description}${SECRETS.has(key) ? '' : got(raw[key])}`)
    env[key] = (schema as { default?: unknown }).default
  }
  const valid = env as unknown as Env
  problems.push(
    ...smsProblems(valid),
    ...otpProblems(valid),
    ...autofillProblems(valid),
    ...adminProblems(valid),
    ...secretProblems(valid),
    ...passkeyProblems(valid),
  )
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(toConfig(valid))
}

function toConfig(env: Env) {
  return {
    ...serverConfig(env),
    ...httpConfig(env),
    ...storageConfig(env),
    ...secretConfig(env),
    ...loggingConfig(env),
    ...smsConfig(env),
    ...otpConfig(env),
    ...autofillConfig(env),
    ...abuseConfig(env),
    ...adminConfig(env),
    ...tokenConfig(env),
    ...passkeyConfig(env),
  }
}

export type Config = ReturnType<typeof toConfig>
