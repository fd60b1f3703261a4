import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import type { CaptchaVerifier } from '../abuse/captcha.js'
import type { AbuseGuard, SendReservation } from '../abuse/guard.js'
import { SmsError } from '../channels/provider.js'
import type { Config, Language } from '../config.js'
import { hmac, randomDigits } from '../crypto.js'
import { AppError } from '../errors.js'
import { messages } from '../i18n/index.js'
import { consumeOrThrow } from '../limits/index.js'
import { type Phone, parsePhone } from '../phone/index.js'
import type { Delivery, SmsSender } from '../sms/sender.js'
import type { Check, CodeStore } from '../stores/codes/index.js'
import type { OtpEvents } from './events.js'
import { type Recipient, smsText } from './texts.js'

export interface OtpLimiters {
  /** OTP_IP_LIMIT_PER_MINUTE requests per IP per minute. */
  perIp: RateLimiterAbstract
  /** One code per number per OTP_RESEND_SECONDS; null when the cooldown is 0. */
  resend: RateLimiterAbstract | null
}

/** The settings the OTP flow reads: the codes' own, which countries may sign in, and the test numbers. */
export type OtpSettings = Pick<
  Config,
  'otp' | 'allowedCountries' | 'testNumbers' | 'devMode' | 'env' | 'autofill'
>

export interface OtpServiceOptions {
  settings: OtpSettings
  store: CodeStore
  limiters: OtpLimiters
  sms: SmsSender
  /** The HMAC key codes are stored under (derived from SECRET_KEY for this purpose only). */
  codeKey: Buffer
  log: Logger
  guard: AbuseGuard
  /** null when CAPTCHA_PROVIDER is none. */
  captcha: CaptchaVerifier | null
  events: OtpEvents
}

/** A request for a code: to whom, from where, in which language, for which app and client, by which channel. */
export interface CodeRequest {
  phone: string
  ip: string
  lang: Language
  captchaToken?: string | undefined
  recipient?: Recipient
  /** `sms`: the user asked for an SMS, so no Telegram step is tried. */
  channel?: 'telegram' | 'sms' | undefined
  /** A shorter life than OTP_TTL_SECONDS, in whole minutes' seconds (the text says the minutes). */
  ttlSeconds?: number
}

export interface SentCode {
  phone: string
  expiresIn: number
  message: string
  /** Where the code went first. */
  channel: 'telegram' | 'sms'
  /** Only in development mode. */
  code?: string
}

export class OtpService {
  private readonly settings: OtpSettings
  private readonly store: CodeStore
  private readonly limiters: OtpLimiters
  private readonly sms: SmsSender
  private readonly otpKey: Buffer
  private readonly log: Logger
  private readonly guard: AbuseGuard
  private readonly captcha: CaptchaVerifier | null
  private readonly events: OtpEvents

  constructor(options: OtpServiceOptions) {
    this.settings = options.settings
    this.store = options.store
    this.limiters = options.limiters
    this.sms = options.sms
    this.otpKey = options.codeKey
    this.log = options.log
    this.guard = options.guard
    this.captcha = options.captcha
    this.events = options.events
  }

  /** The fixed code of a test number (TEST_OTP_NUMBERS), or undefined for an ordinary number. */
  private testCode(e164: string): string | undefined {
    const code = this.settings.testNumbers.get(e164)
    if (code !== undefined)
      // Logged at warn in production: there a test number is a door that must stay visible.
      this.log[this.settings.env === 'production' ? 'warn' : 'info'](
        { phone: e164 },
        `🧪 Test number ${e164} used: fixed code, no SMS, no limits`,
      )
    return code
  }

  parsePhone(input: string): Phone {
    const phone = parsePhone(input)
    if (!phone) throw new AppError('INVALID_PHONE', {}, { expected_format: '+998901234567' })
    return phone
  }

  private hash(phone: string, code: string): string {
    // The number is part of the hashed input: the same code for two numbers gives two unrelated hashes.
    return hmac(this.otpKey, `${phone}:${code}`)
  }

  /**
   * Sends a code to a number, after every limit and abuse check. `ttlSeconds` shortens the code's life below
   * OTP_TTL_SECONDS (account deletion asks for a code from the last 5 minutes).
   */
  async send(request: CodeRequest): Promise<SentCode> {
    const { ip, lang, captchaToken, recipient = {}, channel = 'telegram' } = request
    const phone = this.parsePhone(request.phone)
    const allowed = this.settings.allowedCountries
    if (allowed !== '*' && !allowed.has(phone.country))
      throw new AppError('COUNTRY_NOT_ALLOWED', { country: phone.country }, { country: phone.country })
    const { length } = this.settings.otp
    const ttlSeconds = Math.min(this.settings.otp.ttlSeconds, request.ttlSeconds ?? Number.POSITIVE_INFINITY)
    const minutes = ttlSeconds / 60

    const testCode = this.testCode(phone.e164)
    if (testCode !== undefined) {
      await this.store.save(phone.e164, {
        id: randomUUID(),
        hash: this.hash(phone.e164, testCode),
        expiresAt: Date.now() + ttlSeconds * 1000,
      })
      return {
        phone: phone.e164,
        expiresIn: ttlSeconds,
        message: messages[lang].otpSent({ phone: phone.e164, minutes }),
        channel: 'sms',
        ...(this.settings.devMode ? { code: testCode } : {}),
      }
    }

    const prefix = await this.guard.checkPrefix(phone)
    await consumeOrThrow(this.limiters.perIp, ip, 'RATE_LIMITED')
    if (this.captcha) await this.captcha.verify(captchaToken, ip)
    // The cooldown is taken before anything is sent, atomically in the store: of 20 simultaneous requests
    // for one number exactly one gets past this line.
    if (this.limiters.resend) await consumeOrThrow(this.limiters.resend, phone.e164, 'OTP_RESEND_COOLDOWN')
    const code = randomDigits(length)
    const text = smsText(this.settings.autofill, lang, code, minutes, recipient)
    const only = channel === 'sms' ? 'sms' : undefined
    let reservation: SendReservation
    try {
      reservation = await this.guard.reserveSend(
        phone,
        prefix,
        this.sms.route(phone.country, only)[0]?.name ?? 'unknown',
        text,
      )
    } catch (err) {
      // Refused by a cap: the cooldown must not hold back the number's next, allowed, request.
      await this.limiters.resend?.delete(phone.e164).catch(() => {})
      throw err
    }

    const id = randomUUID()
    const expiresAt = Date.now() + ttlSeconds * 1000
    let delivery: Delivery
    try {
      await this.store.save(phone.e164, { id, hash: this.hash(phone.e164, code), expiresAt })
      if (this.settings.devMode) this.log.info(`📱 OTP for ${phone.e164}: ${code}`)
      // The same code may go out again on the route's next step if this one's delivery is not reported.
      delivery = await this.sms.send(phone, text, { code, codeId: id, expiresAt, channel: only })
    } catch (err) {
      await Promise.allSettled([this.undoSend(phone.e164, id), reservation.release()])
      if (err instanceof SmsError)
        throw err.kind === 'invalid_recipient'
          ? new AppError('INVALID_PHONE', {}, { expected_format: '+998901234567' }, undefined, err)
          : new AppError('SMS_UNAVAILABLE', {}, {}, undefined, err)
      throw err
    }
    this.events.record('sent', phone, ip)
    const inTelegram = delivery.channel === 'telegram'
    return {
      phone: phone.e164,
      expiresIn: ttlSeconds,
      message: messages[lang][inTelegram ? 'otpSentTelegram' : 'otpSent']({ phone: phone.e164, minutes }),
      channel: delivery.channel,
      ...(this.settings.devMode ? { code } : {}),
    }
  }

  /** A code that was never delivered must not stay valid, and must not hold the user back with a cooldown. */
  private async undoSend(phone: string, id: string): Promise<void> {
    await Promise.allSettled([this.store.take(phone, id), this.limiters.resend?.delete(phone)])
  }

  /**
   * Checks a code; when it is right it is consumed and `signIn` runs on the normalised number. A right code's
   * bookkeeping (the wrong guess given back, the prefix's count of verified codes) goes out alongside the
   * sign-in rather than before it: one round trip less between the request and its answer.
   */
  async verify<T>(
    phoneInput: string,
    code: string,
    ip: string,
    signIn: (phone: string) => Promise<T>,
  ): Promise<T> {
    const parsed = this.parsePhone(phoneInput)
    const phone = parsed.e164
    const isTest = this.testCode(phone) !== undefined
    let refund = async () => {}
    if (!isTest) {
      // Both counters at once (one round trip to Redis); a request the IP limit refuses gives its guess back.
      const [ipLimit, reserved] = await Promise.allSettled([
        this.guard.limitIp('verify', ip),
        this.guard.reserveVerification(phone),
      ])
      if (reserved.status === 'fulfilled') refund = reserved.value
      if (ipLimit.status === 'rejected') {
        await refund()
        throw ipLimit.reason
      }
      if (reserved.status === 'rejected') throw reserved.reason
    }
    const { maxAttempts } = this.settings.otp
    let check: Check
    try {
      check = await this.store.check(phone, this.hash(phone, code), maxAttempts, Date.now())
    } catch (err) {
      await refund()
      throw err
    }
    switch (check.kind) {
      case 'right': {
        if (isTest) return await signIn(phone)
        this.events.record('verified', parsed, ip)
        // Beside the sign-in, not waited for: a gateway's statistics must not hold it up (it never throws).
        void this.sms.codeVerified(phone, code, Date.now() - this.settings.otp.ttlSeconds * 1000)
        // Best effort: a statistic must not fail a sign-in (neither call throws).
        const [signedIn] = await Promise.all([signIn(phone), refund(), this.guard.recordVerified(phone)])
        return signedIn
      }
      case 'wrong':
        if (check.attemptsLeft <= 0) throw new AppError('OTP_TOO_MANY_ATTEMPTS')
        throw new AppError(
          'OTP_INVALID',
          { attempts_left: check.attemptsLeft },
          { attempts_left: check.attemptsLeft },
        )
      default:
        // Nothing was compared: not a wrong guess.
        await refund()
        throw new AppError(check.kind === 'none' ? 'OTP_EXPIRED' : 'OTP_TOO_MANY_ATTEMPTS')
    }
  }
}
