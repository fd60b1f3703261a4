import type { Logger } from 'pino'
import { type SendResult, SmsError, type SmsProvider } from '../channels/provider.js'
import type { SmsRoutes } from '../config.js'
import { timeOrderedId } from '../crypto.js'
import type { Phone } from '../phone/index.js'
import { countSegments, estimateCost, type PriceSettings, reportedCost } from '../pricing.js'
import type { SmsLogStore } from '../stores/sms-log/index.js'
import { NO_DEADLINE, withTimeout } from '../timeout.js'
import { CircuitBreakers, type CircuitSettings } from './circuit.js'

export interface Delivery {
  provider: string
  providerMessageId: string | null
  logId: string
  /** Attempts made, including the one that succeeded. */
  attempts: number
}

export interface SenderOptions {
  /** Every enabled provider; SMS_ROUTES picks among them by name. */
  providers: readonly SmsProvider[]
  /** Where every attempt is recorded. */
  smsLog: SmsLogStore
  log: Logger
  timeoutMs: number
  /** Ordered provider names per country; null: every provider, in the given order, for every country. */
  routes: SmsRoutes | null
  circuit: CircuitSettings
  prices: PriceSettings
  now?: () => number
}

/**
 * Routes a text to the providers SMS_ROUTES names for the number's country, in order, recording every
 * attempt in the SMS log (one row each, sharing a request id). A retryable failure or a timeout moves on to
 * the next provider; a permanent one (the number or the text is refused) stops at once, since another gateway
 * would refuse it too. A provider that keeps failing is skipped for a while (circuit breaker).
 */
export class SmsSender {
  private readonly providers: readonly SmsProvider[]
  private readonly byName: Map<string, SmsProvider>
  readonly circuits: CircuitBreakers
  private readonly smsLog: SmsLogStore
  private readonly log: Logger
  private readonly now: () => number

  constructor(private readonly options: SenderOptions) {
    this.providers = options.providers
    this.byName = new Map(options.providers.map((p) => [p.name, p]))
    this.smsLog = options.smsLog
    this.log = options.log
    this.now = options.now ?? Date.now
    this.circuits = new CircuitBreakers(options.circuit, options.log, this.now)
  }

  get providerNames(): string[] {
    return this.providers.map((p) => p.name)
  }

  /** The providers to try for a country, in order, before the circuit breakers are asked. */
  route(country: string): SmsProvider[] {
    const routes = this.options.routes
    const names = routes ? (routes.byCountry[country] ?? routes.fallback) : this.providerNames
    const chosen = names.map((n) => this.byName.get(n)).filter((p): p is SmsProvider => p !== undefined)
    // Providers substituted in tests (or a route naming none of them) fall back to every provider.
    return chosen.length > 0 ? chosen : [...this.providers]
  }

  async send(phone: Phone, text: string): Promise<Delivery> {
    const request = { id: timeOrderedId(), phone, text, attempts: 0 }
    const route = this.route(phone.country)
    // Built only when needed: an Error captures a stack trace.
    let lastError: SmsError | null = null
    // The breaker is asked only when a provider's turn comes, so a half-open provider's trial slot is
    // claimed only by a message that really goes to it.
    for (const provider of route) {
      if (!this.circuits.tryAcquire(provider.name)) {
        this.log.debug({ provider: provider.name }, 'SMS provider skipped: its circuit is open')
        continue
      }
      const outcome = await this.attempt(provider, request).catch((err: unknown) => {
        this.circuits.release(provider.name)
        throw err
      })
      if (!(outcome instanceof SmsError)) return outcome
      lastError = outcome
      if (!outcome.retryable) throw outcome
    }
    if (request.attempts === 0) {
      // Every provider is out of rotation: trying them beats refusing a code without trying.
      this.log.warn(
        { route: route.map((p) => p.name) },
        `every SMS provider for ${phone.country} is failing; trying them anyway`,
      )
      for (const provider of route) {
        const outcome = await this.attempt(provider, request)
        if (!(outcome instanceof SmsError)) return outcome
        lastError = outcome
        if (!outcome.retryable) break
      }
    }
    throw lastError ?? new SmsError('unavailable', 'No SMS provider is configured')
  }

  /**
   * One attempt through one provider, logged as its own SMS-log row. It throws only when the SMS log cannot
   * be written, before the circuit breaker has judged the provider.
   */
  private async attempt(
    provider: SmsProvider,
    request: { id: string; phone: Phone; text: string; attempts: number },
  ): Promise<Delivery | SmsError> {
    const { phone, text } = request
    request.attempts += 1
    const attempt = request.attempts
    const logId = timeOrderedId()
    const now = this.now()
    const segments = countSegments(text)
    const estimate = estimateCost(this.options.prices, provider.name, phone.country, segments.segments)
    // Written before the gateway is called: a receipt may arrive before send() returns, and a crash
    // mid-send must still leave a trace of a message we may be billed for.
    await this.smsLog.pending({
      id: logId,
      requestId: request.id,
      attempt,
      phone: phone.e164,
      country: phone.country,
      operator: phone.operator,
      provider: provider.name,
      segments: segments.segments,
      encoding: segments.encoding,
      estimate,
      at: now,
    })
    try {
      const message = { to: phone.e164, text, messageId: logId, country: phone.country }
      // The development sink answers at once: it is spared the deadline's timer and AbortController.
      const result = provider.inProcess
        ? await provider.send(message, NO_DEADLINE)
        : await withTimeout(this.options.timeoutMs, (signal) => provider.send(message, signal))
      const done = this.now()
      await this.smsLog.sent({
        id: logId,
        status: result.status,
        providerMessageId: result.providerMessageId,
        at: done,
        durationMs: done - now,
        reported: reportedCost(result.price, this.options.prices.uzsPerUsd),
      })
      this.circuits.succeeded(provider.name)
      this.logSuccess(provider.name, phone.e164, result)
      return {
        provider: provider.name,
        providerMessageId: result.providerMessageId,
        logId,
        attempts: attempt,
      }
    } catch (err) {
      const error =
        err instanceof SmsError ? err : new SmsError('unavailable', String(err), null, { cause: err })
      const done = this.now()
      await this.smsLog.failed({
        id: logId,
        errorCode: error.kind,
        errorMessage: error.message,
        at: done,
        durationMs: done - now,
        // A refused message is not billed; after a timeout nobody knows, so the estimate stays.
        billed: error.providerCode === 'TIMEOUT',
      })
      this.logFailure(provider.name, phone.e164, error)
      // A refused number or text says nothing bad about the gateway: it answered.
      if (error.retryable) this.circuits.failed(provider.name, error.message)
      else this.circuits.succeeded(provider.name)
      return error
    }
  }

  private logSuccess(provider: string, to: string, result: SendResult): void {
    // Exact texts: the operators' runbooks grep for them.
    if (provider === 'twilio') this.log.info(`✅ SMS sent to ${to}. Message SID: ${result.providerMessageId}`)
    else this.log.info(`✅ SMS sent to ${to} via ${provider}. Message ID: ${result.providerMessageId}`)
  }

  private logFailure(provider: string, to: string, err: SmsError): void {
    this.log.warn(
      provider === 'twilio'
        ? `⚠️ Failed to send SMS to ${to}`
        : `⚠️ Failed to send SMS to ${to} via ${provider}`,
    )
    const name = provider === 'twilio' ? 'Twilio' : provider
    this.log.error(
      { provider, kind: err.kind, providerCode: err.providerCode },
      `${name} error sending SMS: ${err.message}`,
    )
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close?.()))
  }
}
