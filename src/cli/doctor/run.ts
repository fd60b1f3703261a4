import { Redis } from 'ioredis'
import type { Check, Connector } from '../../channels/connector.js'
import { CONNECTORS } from '../../channels/index.js'
import { type Config, ConfigError, loadConfig, readEnv } from '../../config.js'
import { migrationStatus, notCreatedYet, openDatabase, ping, unreachableFix } from '../../db/index.js'
import { estimateCost } from '../../pricing.js'
import { describeDatabase, describeError } from '../context.js'
import { envFileChecks } from './settings.js'
import { eskizTextChecks } from './texts.js'

/** Every SMS gateway the doctor can check, in the service's default order for Uzbek numbers. */
const PROVIDERS = CONNECTORS as readonly Connector[]
type ProviderDoctor = Connector

const FIXES: Record<string, string> = {
  SECRET_KEY: 'generate one with `openssl rand -base64 48` and set SECRET_KEY',
  SMS: 'enable a provider (ESKIZ_ENABLED=true, PLAYMOBILE_ENABLED=true, HTTP_SMS_URL or TWILIO_ENABLED=true) with its credentials',
  SMS_ROUTES:
    'write it as COUNTRY=provider,provider;*=provider naming only enabled providers, e.g. UZ=eskiz,twilio;*=twilio',
  SMS_PRICES: 'write it as provider:COUNTRY=price[ USD|UZS];…, e.g. eskiz:UZ=90;twilio:KZ=0.05 USD',
  WEBHOOK_TOKEN:
    'generate one with `openssl rand -hex 24` and set WEBHOOK_TOKEN (delivery receipts carry it)',
  DATABASE_URL: 'use sqlite:./data/royal-taxi.db or postgres://user:password@host:5432/database',
  REDIS_URL: 'use redis://host:6379 (or rediss:// for TLS), or remove it to keep codes in the database',
  ALLOWED_COUNTRIES: 'use ISO country codes such as UZ,KZ, or *',
  METRICS_TOKEN:
    'generate one with `openssl rand -hex 24`, or remove it to serve /metrics to this machine only',
}

const settingOf = (problem: string) => problem.match(/^([A-Z][A-Z0-9_]*):/)?.[1] ?? ''
const providerOf = (setting: string) => PROVIDERS.find((p) => setting.startsWith(p.prefix))

/** A configuration without the broken settings (and the providers they break), to run the other checks. */
function degradedConfig(settings: Record<string, string>, problems: string[]) {
  const patched = { ...settings }
  const broken = new Set<string>()
  for (const problem of problems) {
    const setting = settingOf(problem)
    delete patched[setting]
    const provider = providerOf(setting)
    if (provider) {
      broken.add(provider.name)
      provider.doctor.switchOff(patched)
    }
    // Production-only requirements: the other checks still make sense as in development.
    if (setting === 'SMS' || setting === 'SECRET_KEY') patched.APP_ENV = 'development'
  }
  try {
    return { config: loadConfig(patched), broken }
  } catch {
    return { config: null, broken }
  }
}

async function databaseChecks(config: Config): Promise<Check[]> {
  const section = 'Storage'
  const where = describeDatabase(config.database)
  if (notCreatedYet(config.database))
    return [
      {
        section,
        status: 'warn',
        message: `${where} does not exist yet`,
        fix: 'the server creates it when it starts; or run "royal-taxi migrate" now',
      },
    ]
  let handle: ReturnType<typeof openDatabase> | null = null
  try {
    handle = openDatabase(config.database)
    await ping(handle.db)
    const checks: Check[] = [{ section, status: 'ok', message: `${where} answers` }]
    const migrations = await migrationStatus(handle)
    const pending = migrations.filter((m) => m.appliedAt === null).map((m) => m.name)
    checks.push(
      pending.length === 0
        ? { section, status: 'ok', message: `all ${migrations.length} migration(s) applied` }
        : {
            section,
            status: 'warn',
            message: `${pending.length} migration(s) pending: ${pending.join(', ')}`,
            fix: 'the server applies them when it starts; or run "royal-taxi migrate" now',
          },
    )
    return checks
  } catch (err) {
    return [
      {
        section,
        status: 'fail',
        message: `${where} does not answer: ${describeError(err)}`,
        fix: unreachableFix(config.database),
      },
    ]
  } finally {
    await handle?.close()
  }
}

async function redisChecks(config: Config): Promise<Check[]> {
  const section = 'Storage'
  if (!config.redis)
    return [
      {
        section,
        status: 'ok',
        message:
          'Redis is not configured: codes and rate limits are kept in the database (fine for one instance)',
      },
    ]
  const url = new URL(config.redis.url)
  const where = `Redis at ${url.hostname}:${url.port || 6379}`
  // One try, no reconnection: the doctor reports, it does not wait for Redis to come back.
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    return [{ section, status: 'ok', message: `${where} answers` }]
  } catch (err) {
    return [
      {
        section,
        status: 'fail',
        message: `${where} does not answer: ${describeError(err)}`,
        fix: 'start Redis, or correct REDIS_URL (or remove it to keep codes in the database)',
      },
    ]
  } finally {
    redis.disconnect()
  }
}

/** SMS_ROUTES (or the default routes) against ALLOWED_COUNTRIES: every allowed country has a route whose
 * providers reach it, and a price to count its cost by. */
function routeChecks(config: Config, enabled: ProviderDoctor[]): Check[] {
  const section = 'Routing'
  if (enabled.length === 0) return []
  const byName = new Map(enabled.map((p) => [p.name, p]))
  const { routes, prices, uzsPerUsd } = config.sms
  const countries =
    config.allowedCountries === '*' ? [...Object.keys(routes.byCountry), '*'] : [...config.allowedCountries]
  const checks: Check[] = []
  const lines: string[] = []
  for (const country of countries) {
    const route = (country === '*' ? routes.fallback : (routes.byCountry[country] ?? routes.fallback))
      .map((n) => byName.get(n))
      .filter((p): p is ProviderDoctor => p !== undefined)
    const reaching = route.filter((p) =>
      country === '*' ? p.countries === '*' : p.countries === '*' || p.countries.includes(country),
    )
    const where = country === '*' ? 'other countries' : country
    if (reaching.length === 0) {
      checks.push({
        section,
        status: 'fail',
        message: `no enabled provider on the route for ${where} delivers there (route: ${route.map((p) => p.name).join(', ') || 'empty'})`,
        fix: `add a provider that reaches ${where} to SMS_ROUTES (Twilio is worldwide), or remove ${country} from ALLOWED_COUNTRIES`,
      })
      continue
    }
    lines.push(`${where} → ${reaching.map((p) => p.name).join(', ')}`)
    if (country !== '*') {
      const unpriced = reaching.filter(
        (p) => estimateCost({ prices, uzsPerUsd }, p.name, country, 1) === null,
      )
      if (unpriced.length > 0)
        checks.push({
          section,
          status: 'warn',
          message: `no price for ${unpriced.map((p) => p.name).join(', ')} → ${country}: its costs are left empty`,
          fix: `add a price to SMS_PRICES, e.g. ${unpriced[0]?.name}:${country}=0.05USD`,
        })
    }
  }
  if (lines.length > 0) checks.unshift({ section, status: 'ok', message: `routes: ${lines.join('; ')}` })
  return checks
}

function securityChecks(config: Config): Check[] {
  const section = 'Security'
  const checks: Check[] = []
  if (config.secretKeyGenerated)
    checks.push({
      section,
      status: 'warn',
      message:
        'SECRET_KEY is not set: a random key is made at each start, so sessions and pending codes die with a restart',
      fix: FIXES.SECRET_KEY as string,
    })
  if (config.env === 'production' && config.metrics.token === null)
    checks.push({
      section,
      status: 'warn',
      message: 'METRICS_TOKEN is not set: /metrics answers anyone who can reach the service',
      fix: 'set METRICS_TOKEN (and give it to Prometheus), or keep the port private',
    })
  return checks
}

export interface DoctorInput {
  /** Absolute path of the settings file. */
  envFile: string
  processEnv?: NodeJS.ProcessEnv
}

/** Every check, in report order. Never throws for a problem it can describe. */
export async function runDoctor({ envFile, processEnv }: DoctorInput): Promise<Check[]> {
  const checks: Check[] = envFileChecks(envFile, processEnv)
  const settings = readEnv(envFile, processEnv)

  let problems: string[] = []
  let valid: Config | null = null
  try {
    valid = loadConfig(settings)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    problems = err.problems
  }
  for (const problem of problems) {
    const setting = settingOf(problem)
    const provider = providerOf(setting)
    checks.push({
      section: provider?.label ?? 'Settings',
      status: 'fail',
      message: problem,
      fix:
        provider?.doctor.fixes[setting] ??
        FIXES[setting] ??
        `correct ${setting} in ${envFile} (.env.example describes every setting)`,
    })
  }
  const { config, broken } = valid
    ? { config: valid, broken: new Set<string>() }
    : degradedConfig(settings, problems)
  if (valid)
    checks.push({
      section: 'Settings',
      status: 'ok',
      message: `the configuration is valid (APP_ENV=${valid.env})`,
    })
  if (!config) {
    checks.push({
      section: 'Settings',
      status: 'warn',
      message: 'the other checks were skipped: they need the settings above fixed first',
    })
    return checks
  }

  const settingsOf = (p: Connector) => (config.sms as unknown as Record<string, unknown>)[p.name]
  const enabled = PROVIDERS.filter((p) => settingsOf(p) !== null)
  const wanted = PROVIDERS.filter(
    (p) => enabled.includes(p) || broken.has(p.name) || p.doctor.switchedOn(settings),
  )
  if (wanted.length === 0)
    checks.push({
      section: 'SMS',
      status: 'warn',
      message:
        'no SMS provider is enabled: development mode, codes are only written to the log and returned in the API response (otp_code); nothing is sent',
      fix: `to send real SMS, ${FIXES.SMS}`,
    })
  else
    checks.push({
      section: 'SMS',
      status: 'ok',
      message: `enabled: ${wanted.map((p) => p.label).join(', ')}`,
    })

  const providerChecks = wanted.map(async (p): Promise<Check[]> => {
    if (!enabled.includes(p))
      return [
        {
          section: p.label,
          status: 'warn',
          message: `live check skipped: fix the ${p.label} settings above first`,
        },
      ]
    const own = settingsOf(p)
    const live = { section: p.label, timeoutMs: config.sms.timeoutMs, describeError }
    return [...p.doctor.wellFormed(own), ...(await p.doctor.live(own, live))]
  })
  const results = await Promise.all([...providerChecks, databaseChecks(config), redisChecks(config)])
  for (const r of results) checks.push(...r)
  // After the Eskiz live check, whose lines say first whether the login works at all.
  checks.push(...(await eskizTextChecks(config)))
  checks.push(...routeChecks(config, enabled), ...securityChecks(config))
  return checks
}
