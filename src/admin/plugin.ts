import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SmsProvider } from '../channels/provider.js'
import type { Config } from '../config.js'
import { ADMIN_AUTH_FAILURES } from './auth.js'
import { adminConsole } from './console.js'
import { adminRoutes } from './routes.js'
import { AdminService } from './service.js'

export interface AdminPluginOptions {
  config: Pick<Config, 'admin' | 'abuse'>
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
    })
    const failures = config.admin
      ? await stores.limits.create({ name: 'admin_auth', ...ADMIN_AUTH_FAILURES })
      : null
    await app.register(adminRoutes, { prefix: '/api/v1/admin', service, failures })
    await app.register(adminConsole)
  },
  { name: 'admin', dependencies: ['storage', 'sms', 'abuse', 'otp'] },
)
