import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { deriveKey } from '../crypto.js'
import { smsText } from '../otp/texts.js'
import { parsePhone } from '../phone/index.js'
import { countSegments, estimateCost } from '../pricing.js'
import { passkeyRoutes } from './routes.js'
import { PasskeyService, type SparedSms } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** null while passkeys are off (production without PASSKEY_RP_ID): the endpoints answer 404. */
    passkeys: PasskeyService | null
  }
}

export interface PasskeysPluginOptions {
  config: Pick<Config, 'passkeys' | 'secretKey' | 'sms' | 'otp' | 'autofill' | 'defaultLanguage'>
}

/**
 * Passkeys: the service, its routes, and what each sign-in with one spared: a code SMS through the number's
 * route, priced as the SMS log would have priced it (the route's first SMS provider, the segments of a code
 * in the default language), counted in /metrics and in the table the Billing tab reads.
 */
export const passkeysPlugin = fp<PasskeysPluginOptions>(
  async (app: FastifyInstance, { config }) => {
    const log = app.log as Logger
    const prices = { prices: config.sms.prices, uzsPerUsd: config.sms.uzsPerUsd }
    const { ttlSeconds, length } = config.otp
    const text = smsText(config.autofill, config.defaultLanguage, '0'.repeat(length), ttlSeconds / 60)
    const segments = countSegments(text).segments
    const sparedSms = (phone: string): { country: string } & SparedSms => {
      const country = parsePhone(phone)?.country ?? 'ZZ'
      const provider = app.sms.route(country, 'sms')[0]?.name ?? null
      return { country, provider, cost: provider ? estimateCost(prices, provider, country, segments) : null }
    }
    const service = config.passkeys
      ? new PasskeyService({
          settings: config.passkeys,
          passkeys: app.stores.passkeys,
          challenges: app.stores.challenges,
          sessions: app.sessions,
          userHandleKey: deriveKey(config.secretKey, 'webauthn-user-handle'),
          sparedSms,
          onSignIn: (signIn) => {
            app.metrics.passkeySignIns.inc({ app: signIn.app })
            if (signIn.saved)
              app.metrics.passkeySmsSavedUsd.inc({ country: signIn.country }, signIn.saved.usd)
          },
          log,
        })
      : null
    app.decorate('passkeys', service)
    await app.register(passkeyRoutes)
  },
  { name: 'passkeys', dependencies: ['storage', 'sessions', 'sms', 'abuse', 'metrics'] },
)
