import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { SmsProvider } from '../channels/provider.js'
import type { Config } from '../config.js'
import { deriveKey } from '../crypto.js'
import { instrumentProvider } from '../metrics/sms.js'
import { ReceiptService } from './receipts.js'
import { SmsSender } from './sender.js'

declare module 'fastify' {
  interface FastifyInstance {
    sms: SmsSender
    receipts: ReceiptService
  }
}

export interface SmsPluginOptions {
  config: Pick<Config, 'sms' | 'secretKey'>
  /** The gateways: those the settings enable, or a test's fakes. */
  providers: SmsProvider[]
}

/** Sending through the routed gateways (with the SMS log), and delivery receipts. */
export const smsPlugin = fp<SmsPluginOptions>(
  async (app: FastifyInstance, { config, providers }) => {
    // Fastify types its logger as the subset it uses; it is the service's pino logger (buildApp).
    const log = app.log as Logger
    const { sms: settings } = config
    const prices = { prices: settings.prices, uzsPerUsd: settings.uzsPerUsd }
    const sender = new SmsSender({
      providers: providers.map((p) => instrumentProvider(p, app.metrics, prices)),
      smsLog: app.stores.smsLog,
      log,
      timeoutMs: settings.timeoutMs,
      routes: settings.routes,
      circuit: settings.circuit,
      prices,
      // The same purpose as the fallback's (src/sms/fallback-plugin.ts): one seals, the other opens.
      resendKey: deriveKey(config.secretKey, 'sms-resend'),
    })
    app.decorate('sms', sender)
    app.decorate(
      'receipts',
      new ReceiptService({ smsLog: app.stores.smsLog, log, uzsPerUsd: settings.uzsPerUsd }),
    )
    app.addHook('onClose', () => sender.close())
  },
  { name: 'sms', dependencies: ['storage', 'metrics'] },
)
