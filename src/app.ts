import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { DestinationStream } from 'pino'
import type { SmsPrice } from './abuse/guard.js'
import { abusePlugin } from './abuse/plugin.js'
import { accountsPlugin } from './accounts/plugin.js'
import { adminPlugin } from './admin/plugin.js'
import { configuredProviders } from './channels/index.js'
import type { SmsProvider } from './channels/provider.js'
import type { Config } from './config.js'
import { driversPlugin } from './drivers/plugin.js'
import { clientLimits } from './http/client-errors.js'
import { healthRoutes } from './http/health.js'
import { createLogger } from './logger.js'
import { loginPage } from './login/plugin.js'
import type { OtpEventsLimits } from './otp/events.js'
import { otpPlugin } from './otp/plugin.js'
import { passkeysPlugin } from './passkeys/plugin.js'
import { docsPlugin } from './plugins/docs.js'
import { httpPlugin } from './plugins/http.js'
import { metricsPlugin } from './plugins/metrics.js'
import { startupPlugin } from './plugins/startup.js'
import { storagePlugin } from './plugins/storage.js'
import { sweepPlugin } from './plugins/sweep.js'
import { authRoutes } from './routes/auth.js'
import { userRoutes } from './routes/users.js'
import { webhookRoutes } from './routes/webhooks.js'
import { sessionsPlugin } from './sessions/plugin.js'
import { fallbackPlugin } from './sms/fallback-plugin.js'
import { smsPlugin } from './sms/plugin.js'
import { recoveryPlugin } from './sms/recovery-plugin.js'
import { tokensPlugin } from './tokens/plugin.js'
import { tokenRoutes } from './tokens/routes.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface AppOverrides {
  /** Replace the configured SMS providers (tests use a fake gateway). */
  smsProviders?: SmsProvider[]
  /** Where log lines go instead of stdout and LOG_FILE. */
  logDestination?: DestinationStream
  /** The price of one SMS for SMS_DAILY_BUDGET_USD (tests set their own). */
  smsPrice?: SmsPrice
  /** How the statistics rows are batched (tests hold them back to see what writes them). */
  otpEventLimits?: OtpEventsLimits
  /** Try the configured gateways' credentials at start (default: yes, except for fakes and in APP_ENV=test). */
  liveChecks?: boolean
}

/**
 * Builds the whole service, ready for `listen()` or `inject()`: each piece is a plugin that declares what it
 * needs (storage first, so it closes last). The server and every test build it the same way.
 */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const log = createLogger(config.log, overrides.logDestination)
  if (config.secretKeyGenerated)
    log.warn(
      'SECRET_KEY is not set: a random key was generated for this run. Pending codes and sessions will not survive a restart; set SECRET_KEY in .env',
    )
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // A hop count is valid at run time (proxy-addr), though Fastify's types only list the other forms.
    trustProxy: config.http.trustProxy as boolean | string[],
    bodyLimit: 16 * 1024,
    ...clientLimits(config),
    // Ids for log correlation; a client-supplied X-Request-Id is not trusted.
    requestIdHeader: false,
    // One line per request (the http plugin's) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.decorate('config', config)
  if (config.testNumbers.size > 0)
    log[config.env === 'production' ? 'warn' : 'info'](
      `🧪 ${config.testNumbers.size} test number(s) from TEST_OTP_NUMBERS are active: fixed codes, no SMS, no limits`,
    )
  if (config.testNumbersIgnored)
    log.warn('TEST_OTP_NUMBERS is ignored in production unless ALLOW_TEST_NUMBERS_IN_PRODUCTION=true')

  try {
    await app.register(storagePlugin, { config })
    await app.register(httpPlugin, { config })
    await app.register(metricsPlugin, { config })
    const providers = overrides.smsProviders ?? configuredProviders(config, log)
    await app.register(smsPlugin, { config, providers })
    await app.register(recoveryPlugin, { config, providers })
    const liveChecks = overrides.liveChecks ?? (!overrides.smsProviders && config.env !== 'test')
    await app.register(startupPlugin, { config, providers, liveChecks })
    await app.register(abusePlugin, { config, smsPrice: overrides.smsPrice })
    await app.register(fallbackPlugin, { config })
    await app.register(otpPlugin, { config, eventLimits: overrides.otpEventLimits })
    await app.register(tokensPlugin, { config })
    await app.register(sessionsPlugin, { config })
    await app.register(sweepPlugin)
    // Routes after the docs plugin, so the OpenAPI document lists them.
    await app.register(docsPlugin)
    await app.register(healthRoutes)
    await app.register(tokenRoutes)
    await app.register(authRoutes, { prefix: '/api/v1/auth' })
    await app.register(userRoutes, { prefix: '/api/v1/users' })
    await app.register(accountsPlugin)
    await app.register(webhookRoutes, { prefix: '/api/v1/webhooks' })
    await app.register(passkeysPlugin, { config })
    // The sign-in page, a web client of the routes above (issue 30).
    await app.register(loginPage)
    await app.register(adminPlugin, { config, providers })
    // Removing a driver ends that number's driver sessions at once (its passenger sessions stay).
    await app.register(driversPlugin, {
      onRemoved: async (phone) => void (await app.sessions.revokeApp(phone, 'driver')),
    })
  } catch (err) {
    // Whatever was opened before the failure (the database, Redis) is closed again.
    await app.close().catch(() => {})
    throw err
  }
  return app
}
