import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import { CaptchaVerifier } from '../abuse/captcha.js'
import type { Config } from '../config.js'
import { deriveKey } from '../crypto.js'
import { OtpEvents, type OtpEventsLimits } from './events.js'
import { OtpService, type OtpSettings } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    otp: OtpService
    otpEvents: OtpEvents
  }
}

export interface OtpPluginOptions {
  config: OtpSettings & Pick<Config, 'secretKey' | 'captcha'>
  /** How the statistics rows are batched (tests hold them back to see what writes them). */
  eventLimits?: OtpEventsLimits | undefined
}

/** Sending and checking codes, and the statistics of both. */
export const otpPlugin = fp<OtpPluginOptions>(
  async (app: FastifyInstance, { config, eventLimits }) => {
    // Fastify types its logger as the subset it uses; it is the service's pino logger (buildApp).
    const log = app.log as Logger
    const { limits } = app.stores
    const events = new OtpEvents({ store: app.stores.stats, log, limits: eventLimits })
    const otp = new OtpService({
      settings: config,
      store: app.stores.codes,
      limiters: {
        perIp: await limits.create({
          name: 'otp_ip',
          points: config.otp.ipLimitPerMinute,
          durationSeconds: 60,
        }),
        resend:
          config.otp.resendSeconds > 0
            ? await limits.create({
                name: 'otp_resend',
                points: 1,
                durationSeconds: config.otp.resendSeconds,
                perNumber: true,
              })
            : null,
      },
      sms: app.sms,
      codeKey: deriveKey(config.secretKey, 'otp-hash'),
      log,
      guard: app.abuse,
      captcha: config.captcha ? new CaptchaVerifier(config.captcha) : null,
      events,
    })
    app.decorate('otp', otp)
    app.decorate('otpEvents', events)
    // The statistics still buffered go out while the database is open (the storage plugin closes last).
    app.addHook('onClose', () => events.close())
  },
  { name: 'otp', dependencies: ['storage', 'sms', 'abuse'] },
)
