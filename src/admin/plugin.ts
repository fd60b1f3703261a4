import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SmsProvider } from '../channels/provider.js'
import type { Config } from '../config.js'
import { labelledTexts } from '../otp/texts.js'
import { ADMIN_AUTH_FAILURES, adminGate } from './auth.js'
import { adminConsole } from './console.js'
import { adminRoutes } from './routes.js'
import { AdminService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin API's gate, for admin routes registered by other features (the driver roster). */
    adminGate: ReturnType<typeof adminGate>
  }
}

export interface AdminPluginOptions {
  config: Pick<Config, 'admin' | 'abuse' | 'autofill' | 'otp'>
  /** The gateways, for their balances. */
  providers: SmsProvider[]
}

/** The admin console: its JSON API under /api/v1/admin (behind ADMIN_TOKEN) and its page under /admin. */
export const adminPlugin = fp<AdminPluginOptions>(
  async (app: FastifyInstance, { config, providers }) => {
    const { stores } = app
    const service = new AdminService({
      db: app.storage.db.db,
      limits: stores.limits,
      blocks: stores.blocks,
      providers,
      timeZone: config.admin?.timeZone ?? 'UTC',
      prefixDropDigits: config.abuse.pumping.dropDigits,
      events: app.otpEvents,
      texts: labelledTexts(config.autofill, config.otp.length, config.otp.ttlSeconds / 60),
    })
    const failures = config.admin
      ? await stores.limits.create({ name: 'admin_auth', ...ADMIN_AUTH_FAILURES })
      : null
    await app.register(adminRoutes, { prefix: '/api/v1/admin', service, failures })
    app.decorate('adminGate', adminGate(config.admin?.token ?? null, failures))
    await app.register(adminConsole)
  },
  { name: 'admin', dependencies: ['storage', 'sms', 'abuse', 'otp'] },
)
