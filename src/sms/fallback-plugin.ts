import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { deriveKey } from '../crypto.js'
import { DeliveryFallback } from './fallback.js'

declare module 'fastify' {
  interface FastifyInstance {
    deliveryFallback: DeliveryFallback
  }
}

/** How often due waits are looked for: the granularity of `wait=`, one indexed query per instance. */
export const FALLBACK_SWEEP_MS = 1000

/**
 * Runs the delivery fallback (src/sms/fallback.ts) every second once the app is ready; closing stops it and
 * waits for the sweep under way.
 */
export const fallbackPlugin = fp<{ config: Pick<Config, 'sms' | 'secretKey'> }>(
  async (app: FastifyInstance, { config }) => {
    const log = app.log as Logger
    const fallback = new DeliveryFallback({
      sender: app.sms,
      smsLog: app.stores.smsLog,
      codes: app.stores.codes,
      spend: (phone, provider, text) => app.abuse.reserveSpend(phone, provider, text),
      resendKey: deriveKey(config.secretKey, 'sms-resend'),
      log,
      timeoutMs: config.sms.timeoutMs,
    })
    app.decorate('deliveryFallback', fallback)
    // Without a route that waits there is nothing to sweep for.
    if (!config.sms.routes.waits) return
    let running: Promise<unknown> | null = null
    let timer: NodeJS.Timeout | undefined
    app.addHook('onReady', async () => {
      timer = setInterval(() => {
        if (running) return
        running = fallback
          .runOnce()
          .catch((err) => log.warn({ err }, 'the delivery fallback sweep failed'))
          .finally(() => {
            running = null
          })
      }, FALLBACK_SWEEP_MS).unref()
    })
    app.addHook('onClose', async () => {
      clearInterval(timer)
      await running
    })
  },
  { name: 'sms-fallback', dependencies: ['storage', 'sms', 'abuse'] },
)
