import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Redis } from 'ioredis'
import type { DestinationStream, Logger } from 'pino'
import { CaptchaVerifier } from './abuse/captcha.js'
import { AbuseGuard, budgetPrice, createAbuseLimiters, type SmsPrice } from './abuse/guard.js'
import { ADMIN_AUTH_FAILURES } from './admin/auth.js'
import { adminConsole } from './admin/console.js'
import { adminRoutes } from './admin/routes.js'
import { AdminService } from './admin/service.js'
import type { Config } from './config.js'
import { deriveKey } from './crypto.js'
import { type DatabaseHandle, migrate, openDatabase } from './db/index.js'
import { AppError } from './errors.js'
import { registerErrorHandlers } from './http/errors.js'
import { registerGracefulClose } from './http/graceful.js'
import { healthRoutes } from './http/health.js'
import { registerSecurity } from './http/security.js'
import { registerValidators } from './http/validation.js'
import { createLogger, loggableUrl } from './logger.js'
import { registerMetrics } from './metrics/http.js'
import { Metrics } from './metrics/index.js'
import { instrumentProvider } from './metrics/sms.js'
import { OtpEvents, type OtpEventsLimits } from './otp/events.js'
import { LimiterFactory } from './otp/limits.js'
import { OtpService } from './otp/service.js'
import { type OtpStore, RedisOtpStore, SqlOtpStore } from './otp/store.js'
import { openRedis } from './redis.js'
import { authRoutes } from './routes/auth.js'
import { userRoutes } from './routes/users.js'
import { webhookRoutes } from './routes/webhooks.js'
import { SessionService } from './sessions/service.js'
import { ConsoleProvider } from './sms/console.js'
import { EskizProvider } from './sms/eskiz.js'
import { HttpGatewayProvider } from './sms/http-gateway.js'
import { smsLogWrites } from './sms/log-writes.js'
import { PlaymobileProvider } from './sms/playmobile.js'
import type { SmsProvider } from './sms/provider.js'
import { ReceiptService } from './sms/receipts.js'
import { SmsSender } from './sms/sender.js'
import { TwilioProvider } from './sms/twilio.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    storage: { db: DatabaseHandle; redis: Redis | null }
    otp: OtpService
    sessions: SessionService
    sms: SmsSender
    receipts: ReceiptService
    abuse: AbuseGuard
    limits: LimiterFactory
    metrics: Metrics
    otpEvents: OtpEvents
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
}

/** How often expired codes, refresh tokens long past their expiry and ended rate-limit windows are deleted. */
export const EXPIRED_ROWS_SWEEP_MS = 10 * 60 * 1000

/** The providers the settings enable (SMS_ROUTES decides, per country, which are tried and in what order). */
export function configuredProviders(config: Config, log: Logger): SmsProvider[] {
  const { timeoutMs, eskiz, playmobile, http, twilio } = config.sms
  const providers: SmsProvider[] = []
  if (eskiz) {
    providers.push(new EskizProvider(eskiz, timeoutMs))
    log.info(`✅ Eskiz SMS service initialized (sender ${eskiz.from})`)
  }
  if (playmobile) {
    providers.push(new PlaymobileProvider(playmobile, timeoutMs))
    log.info(`✅ Playmobile SMS service initialized (originator ${playmobile.originator})`)
  }
  if (http) {
    providers.push(new HttpGatewayProvider(http, timeoutMs))
    log.info(`✅ HTTP SMS gateway initialized (${new URL(http.url).origin})`)
  }
  if (twilio) {
    providers.push(new TwilioProvider(twilio, timeoutMs))
    log.info('✅ Twilio SMS service initialized successfully')
  } else {
    // The Python service's line, logged whenever Twilio is off; the runbooks grep for it.
    log.info('Twilio SMS service disabled (TWILIO_ENABLED=false)')
  }
  if (providers.length > 0) {
    const { byCountry, fallback } = config.sms.routes
    const routes = [
      ...Object.entries(byCountry).map(([c, names]) => `${c}=${names.join(',')}`),
      `*=${fallback.join(',')}`,
    ]
    log.info(`SMS routes: ${routes.join('; ')}`)
    return providers
  }
  log.info('No SMS provider enabled: development mode, codes are logged and returned in responses')
  return [new ConsoleProvider()]
}

/**
 * Builds the whole service, ready for `listen()` or `inject()`: opens and migrates the database, connects
 * Redis, wires the services and registers routes. The server and every test build it the same way.
 */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const log = createLogger(config.log, overrides.logDestination)
  if (config.secretKeyGenerated)
    log.warn(
      'SECRET_KEY is not set: a random key was generated for this run. Pending codes and sessions will not survive a restart; set SECRET_KEY in .env',
    )

  const db = openDatabase(config.database, { groupCommit: true, onWarning: (m) => log.warn(m) })
  let redis: Redis | null = null
  try {
    await migrate(db)
    if (config.redis) redis = await openRedis(config.redis)
  } catch (err) {
    await db.close()
    redis?.disconnect()
    throw err
  }

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // A hop count is valid at run time (proxy-addr), though Fastify's types only list the other forms.
    trustProxy: config.http.trustProxy as boolean | string[],
    bodyLimit: 16 * 1024,
    // Ids for log correlation; a client-supplied X-Request-Id is not trusted.
    requestIdHeader: false,
    // Fastify's own two lines per request ("incoming request", "request completed") are replaced by one
    // compact line below: a third of the CPU time of a verify-otp went to serialising and writing them.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: loggableUrl(request.url),
        statusCode: reply.statusCode,
        responseTime: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    )
    done()
  })
  if (db.kind === 'sqlite') {
    // The embedded database commits writes in batches, once per turn of the event loop (src/db/statements.ts).
    // An answer waits for the batch open when it is sent, so no answer tells of a write a crash could undo.
    const batching = db.raw
    app.addHook('onSend', (_request, _reply, payload, done) => {
      const committed = batching.committed()
      if (!committed) return done(null, payload)
      committed.then(
        () => done(null, payload),
        (err: unknown) => done(new AppError('SERVICE_UNAVAILABLE', {}, {}, undefined, err)),
      )
    })
  }
  // The API speaks JSON only; Fastify would otherwise accept text/plain bodies and fail them as wrong types.
  app.removeContentTypeParser('text/plain')
  registerValidators(app)
  registerErrorHandlers(app, config.defaultLanguage)
  await registerSecurity(app, config)
  registerGracefulClose(app)
  if (config.testNumbers.size > 0)
    log[config.env === 'production' ? 'warn' : 'info'](
      `🧪 ${config.testNumbers.size} test number(s) from TEST_OTP_NUMBERS are active: fixed codes, no SMS, no limits`,
    )
  if (config.testNumbersIgnored)
    log.warn('TEST_OTP_NUMBERS is ignored in production unless ALLOW_TEST_NUMBERS_IN_PRODUCTION=true')

  const storeClient = redis && config.redis ? { client: redis, keyPrefix: config.redis.keyPrefix } : null
  const limiters = new LimiterFactory(db, storeClient)
  const otpStore: OtpStore = storeClient
    ? new RedisOtpStore(storeClient.client, storeClient.keyPrefix)
    : new SqlOtpStore(db.db, db.kind === 'sqlite' ? db.raw : null)
  const metrics = new Metrics()
  const prices = { prices: config.sms.prices, uzsPerUsd: config.sms.uzsPerUsd }
  const providers = overrides.smsProviders ?? configuredProviders(config, log)
  const sms = new SmsSender(
    providers.map((p) => instrumentProvider(p, metrics, prices)),
    db.db,
    log,
    {
      timeoutMs: config.sms.timeoutMs,
      routes: config.sms.routes,
      circuit: config.sms.circuit,
      prices,
      logWrites: smsLogWrites(db),
    },
  )
  const receipts = new ReceiptService(db.db, log, config.sms.uzsPerUsd)
  const guard = new AbuseGuard(
    config,
    db.db,
    await createAbuseLimiters(limiters, config),
    overrides.smsPrice ?? budgetPrice(prices),
    log,
  )
  const events = new OtpEvents(db.db, log, overrides.otpEventLimits)
  const otp = new OtpService(
    config,
    otpStore,
    {
      perIp: await limiters.create({
        name: 'otp_ip',
        points: config.otp.ipLimitPerMinute,
        durationSeconds: 60,
      }),
      resend:
        config.otp.resendSeconds > 0
          ? await limiters.create({
              name: 'otp_resend',
              points: 1,
              durationSeconds: config.otp.resendSeconds,
              perNumber: true,
            })
          : null,
    },
    sms,
    deriveKey(config.secretKey, 'otp-hash'),
    log,
    guard,
    config.captcha ? new CaptchaVerifier(config.captcha) : null,
    events,
  )
  const admin = new AdminService(
    db,
    storeClient,
    limiters.specs,
    providers,
    config.admin?.timeZone ?? 'UTC',
    config.abuse.pumping.dropDigits,
    events,
  )
  const adminFailures = config.admin
    ? await limiters.create({ name: 'admin_auth', ...ADMIN_AUTH_FAILURES })
    : null
  const sessions = new SessionService(
    db.db,
    deriveKey(config.secretKey, 'jwt-hs256'),
    deriveKey(config.secretKey, 'refresh-token'),
    db.kind === 'sqlite' ? db.raw : null,
  )

  app.decorate('config', config)
  app.decorate('storage', { db, redis })
  app.decorate('otp', otp)
  app.decorate('sessions', sessions)
  app.decorate('sms', sms)
  app.decorate('receipts', receipts)
  app.decorate('abuse', guard)
  app.decorate('limits', limiters)
  app.decorate('metrics', metrics)
  app.decorate('otpEvents', events)
  registerMetrics(app, metrics, config.metrics.token)

  const sweep = setInterval(() => {
    otpStore.sweep(Date.now()).catch((err) => log.warn({ err }, 'could not remove expired codes'))
    sessions
      .sweep(Date.now())
      .then((removed) => removed > 0 && log.info({ removed }, `removed ${removed} expired refresh token(s)`))
      .catch((err) => log.warn({ err }, 'could not remove expired refresh tokens'))
    limiters
      .sweep(Date.now())
      .then((removed) => removed > 0 && log.info({ removed }, `removed ${removed} expired rate-limit row(s)`))
      .catch((err) => log.warn({ err }, 'could not remove expired rate-limit rows'))
  }, EXPIRED_ROWS_SWEEP_MS)
  sweep.unref()

  app.addHook('onClose', async () => {
    clearInterval(sweep)
    // The statistics still buffered go out while the database is open.
    await events.close()
    await sms.close()
    redis?.disconnect()
    await db.close()
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Royal Taxi sign-in API',
        version: '1.0.0',
        description: 'Sign in with a phone number and a one-time SMS code. Errors: `{"detail", "code"}`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The ADMIN_TOKEN setting. Unset: every admin route answers 404 ADMIN_DISABLED.',
          },
        },
      },
      tags: [
        {
          name: 'admin',
          description:
            'Reports for the admin console (/admin): SMS log, usage, costs, abuse. Bearer ADMIN_TOKEN; times in UTC, days in ADMIN_TIMEZONE.',
        },
      ],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(healthRoutes)
  await app.register(authRoutes, { prefix: '/api/v1/auth' })
  await app.register(userRoutes, { prefix: '/api/v1/users' })
  await app.register(webhookRoutes, { prefix: '/api/v1/webhooks' })
  await app.register(adminRoutes, { prefix: '/api/v1/admin', service: admin, failures: adminFailures })
  await app.register(adminConsole)
  return app
}
