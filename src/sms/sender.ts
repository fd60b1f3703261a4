import type { Logger } from 'pino'
import { SmsError, type SmsProvider } from '../channels/provider.js'
import type { SmsRoutes } from '../config.js'
import { timeOrderedId } from '../crypto.js'
import type { Phone } from '../phone/index.js'
import { countSegments, estimateCost, type PriceSettings, reportedCost } from '../pricing.js'
import type { SmsLogStore } from '../stores/sms-log/index.js'
import { NO_DEADLINE, withTimeout } from '../timeout.js'
import { CircuitBreakers, type CircuitSettings } from './circuit.js'
import { logFailure, logSuccess } from './log-lines.js'
import { seal } from './seal.js'

export interface Delivery {
  provider: string
  providerMessageId: string | null
  logId: string
  /** Attempts made, including the one that succeeded. */
  attempts: number
  /** What carries the code to the user. */
  channel: 'sms' | 'telegram'
  /** Whether a wait for its delivery report stands, for the fallback sweep. */
  waiting: boolean
}

/** A code to deliver: what channels that carry a code need, and what it takes to send it again later. */
export interface CodeToSend {
  code: string
  /** The code's id in the code store. */
  codeId: string
  expiresAt: number
  /** 'sms': the user asked for an SMS, so no Telegram step is tried. */
  channel?: 'sms' | undefined
}

/** One step of a route: a provider, and how long to wait for its delivery report before the next step. */
export interface Step {
  provider: SmsProvider
  waitMs: number | null
}

/** How long an attempt waits for its delivery report, the route's step the code goes to after it, and the code. */
interface Wait {
  waitMs: number
  nextStep: number
  code: CodeToSend
  /** The code and its text sealed once, for both records of the wait (before the call and after it). */
  sealed: string
}

/** One text on its way, across the attempts it takes. */
export interface SendRequest {
  /** Shared by its attempts' SMS-log rows. */
  id: string
  phone: Phone
  text: string
  attempts: number
  code?: CodeToSend | undefined
  /** Why the next attempt is made: null for the first, `delivery` for a fallback on a missing report. */
  reason: 'error' | 'delivery' | null
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
  /** Seals a code kept for a fallback (derived from SECRET_KEY); without it no step waits (the CLI). */
  resendKey?: Buffer
  now?: () => number
}

const channelOf = (p: SmsProvider) => p.channel ?? 'sms'

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
  route(country: string, channel?: 'sms'): SmsProvider[] {
    return this.steps(country, channel).map((s) => s.provider)
  }

  /** The route's steps for a country; `sms` leaves out the channels that are not SMS. */
  steps(country: string, channel?: 'sms'): Step[] {
    const routes = this.options.routes
    const own = routes?.byCountry[country]
    const names = routes ? (own ?? routes.fallback) : this.providerNames
    const waits = routes?.waits?.[own ? country : '*']
    let chosen = names.map((n) => this.byName.get(n)).filter((p): p is SmsProvider => p !== undefined)
    // Providers substituted in tests (or a route naming none of them) fall back to every provider.
    if (chosen.length === 0) chosen = [...this.providers]
    if (channel === 'sms') chosen = chosen.filter((p) => channelOf(p) === 'sms')
    return chosen.map((provider) => ({ provider, waitMs: waits?.[provider.name] ?? null }))
  }

  /**
   * Sends through the route's first step that takes it. A step that waits for its delivery report (and has a
   * step after it) leaves a wait behind, for the fallback sweep (src/sms/fallback.ts) to send the same code
   * on the next step if no report says delivered in time. The answer does not wait for delivery.
   */
  async send(phone: Phone, text: string, code?: CodeToSend): Promise<Delivery> {
    const request: SendRequest = { id: timeOrderedId(), phone, text, attempts: 0, code, reason: null }
    return await this.walk(this.steps(phone.country, code?.channel), 0, request)
  }

  /**
   * Walks the steps from `from` until one accepts the text, and returns its delivery. A retryable failure
   * moves on; a permanent one stops.
   */
  async walk(steps: Step[], from: number, request: SendRequest): Promise<Delivery> {
    const route = steps.slice(from)
    const made = request.attempts
    // Built only when needed: an Error captures a stack trace.
    let lastError: SmsError | null = null
    // The breaker is asked only when a provider's turn comes, so a half-open provider's trial slot is
    // claimed only by a message that really goes to it.
    for (const [i, { provider }] of route.entries()) {
      if (!this.circuits.tryAcquire(provider.name)) {
        this.log.debug({ provider: provider.name }, 'SMS provider skipped: its circuit is open')
        continue
      }
      const outcome = await this.attempt(provider, request, this.waitAfter(steps, from + i, request)).catch(
        (err: unknown) => {
          this.circuits.release(provider.name)
          throw err
        },
      )
      if (!(outcome instanceof SmsError)) return outcome
      lastError = outcome
      if (!outcome.retryable) throw outcome
    }
    if (request.attempts === made && route.length > 0) {
      // Every provider is out of rotation: trying them beats refusing a code without trying.
      this.log.warn(
        { route: route.map((s) => s.provider.name) },
        `every SMS provider for ${request.phone.country} is failing; trying them anyway`,
      )
      for (const [i, { provider }] of route.entries()) {
        const outcome = await this.attempt(provider, request, this.waitAfter(steps, from + i, request))
        if (!(outcome instanceof SmsError)) return outcome
        lastError = outcome
        if (!outcome.retryable) break
      }
    }
    throw lastError ?? new SmsError('unavailable', 'No SMS provider is configured')
  }

  /**
   * The wait an attempt on `steps[index]` leaves for its delivery report: its length, and the step the code
   * goes to next. None for a step without `wait`, the route's last step, a text that is not a code, or
   * without the key to seal the code (the CLI).
   */
  private waitAfter(steps: Step[], index: number, request: SendRequest): Wait | null {
    const waitMs = steps[index]?.waitMs
    const { code, id, text } = request
    const key = this.options.resendKey
    if (!waitMs || !code || !key || index + 1 >= steps.length) return null
    return { waitMs, nextStep: index + 1, code, sealed: seal(key, id, { code: code.code, text }) }
  }

  /**
   * Tells the gateways that ask to know (Telegram) that the code of the newest send to `phone` since `since`
   * was entered. Best effort and off the sign-in's path: it never throws, and with no such gateway enabled it
   * costs nothing (no look into the SMS log).
   */
  async codeVerified(phone: string, code: string, since: number): Promise<void> {
    if (!this.providers.some((p) => p.verified)) return
    try {
      for (const m of await this.smsLog.lastSend(phone, since)) {
        const provider = this.byName.get(m.provider)
        if (provider?.verified)
          await withTimeout(this.options.timeoutMs, async (signal) =>
            provider.verified?.(m.providerMessageId, code, signal),
          )
      }
    } catch (err) {
      this.log.warn(
        { err },
        `could not tell the gateway that the code sent to ${phone} was entered: ${(err as Error).message}`,
      )
    }
  }

  /**
   * Records the wait for an attempt's delivery report, with the code sealed for the next step: due at `dueAt`
   * unless a report already said delivered or undelivered. A failure to record it costs only the fallback
   * (the code goes out all the same), so it is logged, not thrown.
   */
  private async armWait(request: SendRequest, wait: Wait, logId: string, dueAt: number): Promise<boolean> {
    const { code } = wait
    const now = this.now()
    try {
      await this.smsLog.watch({
        id: request.id,
        phone: request.phone.e164,
        codeId: code.codeId,
        channel: code.channel ?? null,
        sealed: wait.sealed,
        watchedLogId: logId,
        nextStep: wait.nextStep,
        attempts: request.attempts,
        dueAt,
        expiresAt: code.expiresAt,
        at: now,
      })
      return true
    } catch (err) {
      this.log.error({ err }, `could not record the wait for the delivery of SMS ${logId}`)
      return false
    }
  }

  /**
   * One attempt through one provider, logged as its own SMS-log row. It throws only when the SMS log cannot
   * be written, before the circuit breaker has judged the provider.
   */
  private async attempt(
    provider: SmsProvider,
    request: SendRequest,
    wait: Wait | null,
  ): Promise<Delivery | SmsError> {
    const { phone, text, code } = request
    request.attempts += 1
    const attempt = request.attempts
    const fallback = request.reason
    request.reason = 'error'
    const logId = timeOrderedId()
    const now = this.now()
    const channel = channelOf(provider)
    // A Telegram message is one message whatever the text (which it does not carry).
    const segments = channel === 'sms' ? countSegments(text) : { segments: 1, encoding: null }
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
      channel,
      fallback,
      segments: segments.segments,
      encoding: segments.encoding,
      estimate,
      at: now,
    })
    // The wait is recorded before the gateway is called, due only after the attempt's deadline: if this
    // process dies before the answer, another instance (or this one, restarted) still sends the code on.
    // Accepted, it is due `waitMs` after the answer; refused, it is erased with the attempt (smsLog.failed).
    const armed = wait
      ? await this.armWait(request, wait, logId, now + this.options.timeoutMs + wait.waitMs)
      : false
    try {
      const message = {
        to: phone.e164,
        text,
        messageId: logId,
        country: phone.country,
        // What is left of the code's lifetime: a fallback does not extend it.
        ...(code
          ? { code: code.code, ttlSeconds: Math.max(1, Math.round((code.expiresAt - now) / 1000)) }
          : {}),
      }
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
      logSuccess(this.log, provider.name, phone.e164, result)
      return {
        provider: provider.name,
        providerMessageId: result.providerMessageId,
        logId,
        attempts: attempt,
        channel,
        waiting: wait ? (await this.armWait(request, wait, logId, done + wait.waitMs)) || armed : false,
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
      logFailure(this.log, provider.name, phone.e164, error)
      // A refused number or text, or a number the channel cannot reach, says nothing bad about the gateway: it
      // answered.
      if (error.retryable && error.kind !== 'cannot_receive')
        this.circuits.failed(provider.name, error.message)
      else this.circuits.succeeded(provider.name)
      return error
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close?.()))
  }
}
