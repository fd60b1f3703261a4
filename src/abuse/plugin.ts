import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { AbuseGuard, budgetPrice, type SmsPrice } from './guard.js'
import { createAbuseLimiters } from './limiters.js'

declare module 'fastify' {
  interface FastifyInstance {
    abuse: AbuseGuard
  }
}

export interface AbusePluginOptions {
  config: Pick<Config, 'abuse' | 'devMode' | 'sms'>
  /** What SMS_DAILY_BUDGET_USD counts a message at; by default the price table (tests set their own). */
  smsPrice?: SmsPrice | undefined
}

/** Per-number and spending caps, the pumping detector, prefix blocks and the per-IP limits of verify and refresh. */
export const abusePlugin = fp<AbusePluginOptions>(
  async (app: FastifyInstance, { config, smsPrice }) => {
    // Fastify types its logger as the subset it uses; it is the service's pino logger (buildApp).
    const log = app.log as Logger
    const { prices, uzsPerUsd } = config.sms
    const guard = new AbuseGuard({
      abuse: config.abuse,
      devMode: config.devMode,
      limiters: await createAbuseLimiters({ store: app.stores.limits, abuse: config.abuse }),
      blocks: app.stores.blocks,
      price: smsPrice ?? budgetPrice({ prices, uzsPerUsd }),
      log,
    })
    app.decorate('abuse', guard)
  },
  { name: 'abuse', dependencies: ['storage'] },
)
