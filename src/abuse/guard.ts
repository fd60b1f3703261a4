import type { Logger } from 'pino'
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible'
import type { Config } from '../config.js'
import { AppError, type ErrorCode } from '../errors.js'
import { consumeOrThrow, retrySeconds, tooMany } from '../limits/index.js'
import type { Phone } from '../phone/index.js'
import { countSegments, estimateCost, type PriceSettings } from '../pricing.js'
import type { BlockStore } from '../stores/blocks/index.js'
import type { BlockCache } from './blocks.js'
import { secondsUntilUtcMidnight, utcDay } from './days.js'
import { type AbuseLimiters, BUDGET_UNITS_PER_USD } from './limiters.js'
import { abuseMetrics } from './metrics.js'
import { type PrefixState, PumpingDetector } from './pumping.js'

/**
 * US dollars that sending `text` to `country` through `provider` costs, estimated before sending (the text
 * decides the number of segments).
 */
export type SmsPrice = (provider: string, country: string, text: string) => number

/**
 * What SMS_DAILY_BUDGET_USD counts a message at: the price table of src/sms/pricing.ts (with SMS_PRICES
 * overrides) for the provider and country, times the text's segments. A route with no known price counts at
 * UNKNOWN_PRICE_USD a segment rather than nothing, so an unpriced destination cannot drain the budget
 * unseen; set SMS_PRICES for the routes you use.
 */
export function budgetPrice(settings: PriceSettings): SmsPrice {
  return (provider, country, text) => {
    const { segments } = countSegments(text)
    return estimateCost(settings, provider, country, segments)?.usd ?? UNKNOWN_PRICE_USD * segments
  }
}

/** Deliberately above Twilio's Uzbek price ($0.053): an unknown price should stop sending early, not late. */
export const UNKNOWN_PRICE_USD = 0.06

interface Step {
  limiter: RateLimiterAbstract
  key: string
  points: number
  /** The error for a refusal; null lets the send go on (the detector decided not to block). */
  refused: (res: RateLimiterRes) => Promise<AppError | null>
}

/** What a send took from the counters; released when the SMS could not be sent. */
export interface SendReservation {
  release(): Promise<void>
}

export interface AbuseGuardOptions {
  abuse: Config['abuse']
  /** Development mode sends nothing that costs money: the spending caps do not count it. */
  devMode: boolean
  limiters: AbuseLimiters
  blocks: BlockStore
  price: SmsPrice
  log: Logger
}

/**
 * The protections against SMS pumping and guessing that sit around the OTP flow: per-number caps, global
 * spending caps, the prefix detector and its blocks, failed-verification and per-IP limits. Every counter is
 * a rate-limiter-flexible limiter in the shared store; a store failure refuses the request (503), because a
 * limit we cannot check is a limit a bot can walk through.
 */
export class AbuseGuard {
  /** UTC day of the last error line per spending cap, so a bot hammering a closed cap does not flood the log. */
  private readonly capLogged = new Map<string, string>()
  private readonly abuse: Config['abuse']
  private readonly devMode: boolean
  private readonly limiters: AbuseLimiters
  private readonly price: SmsPrice
  private readonly log: Logger
  private readonly pumping: PumpingDetector

  constructor(options: AbuseGuardOptions) {
    this.abuse = options.abuse
    this.devMode = options.devMode
    this.limiters = options.limiters
    this.price = options.price
    this.log = options.log
    this.pumping = new PumpingDetector({
      pumping: options.abuse.pumping,
      store: options.blocks,
      log: options.log,
    })
  }

  /** The blocked prefixes, read at most once per BLOCKS_REFRESH_MS (pumping.ts). */
  get blocks(): BlockCache {
    return this.pumping.blocks
  }

  /** Refuses a number whose prefix is blocked (429 OTP_PREFIX_BLOCKED). */
  async checkPrefix(phone: Phone): Promise<PrefixState> {
    return await this.pumping.checkPrefix(phone)
  }

  /**
   * Takes one code from every counter a send uses. The counters are taken all at once (one round trip to
   * Redis, pipelined) and then judged in order; if one refuses, everything taken is given back and the
   * refusal thrown. The refused counter is given back too, so refused requests do not pile up on a cap: when
   * an operator raises SMS_DAILY_LIMIT, the count is the SMS really sent.
   *
   * Taking them at once means a refused send holds its other counters for a moment before giving them back.
   * The per-number cooldown is taken before this (OtpService.send), so concurrent requests for one number
   * never reach here together; between different numbers only the shared prefix and daily counters can be
   * briefly high, by the sends being refused at that moment.
   */
  async reserveSend(
    phone: Phone,
    state: PrefixState,
    provider: string,
    text: string,
  ): Promise<SendReservation> {
    const a = this.abuse
    const prefixStep: Step = {
      limiter: this.limiters.prefixSent,
      key: state.prefix,
      points: 1,
      refused: async () =>
        await this.pumping.blockOrAllow(
          state,
          'volume',
          `more than ${a.pumping.maxCodesPerPrefix} codes in ${a.pumping.windowSeconds} s`,
        ),
    }
    const steps: Step[] = [
      {
        limiter: this.limiters.numberHour,
        key: phone.e164,
        points: 1,
        refused: async (res) => this.refuse('number_hour', 'OTP_NUMBER_LIMIT', retrySeconds(res)),
      },
      {
        limiter: this.limiters.numberDay,
        key: phone.e164,
        points: 1,
        refused: async (res) => this.refuse('number_day', 'OTP_NUMBER_LIMIT', retrySeconds(res)),
      },
      prefixStep,
    ]
    steps.push(...this.spendingSteps(phone, provider, text))

    // The verification rate of the prefix is read alongside, for the pumping check after the counters.
    const judgeRate = a.pumping.minVerifyRate > 0
    const { release, results, alongside } = await this.take(
      steps,
      judgeRate ? this.limiters.prefixVerifiedCount(state.prefix) : Promise.resolve(0),
    )
    if (judgeRate)
      try {
        const sentInWindow = results[steps.indexOf(prefixStep)]?.consumedPoints ?? 0
        await this.pumping.checkVerifyRate(state, sentInWindow, alongside)
      } catch (err) {
        await release()
        throw err
      }
    return { release }
  }

  /**
   * Takes every step's points at once, with `alongside` read in the same round trip, then judges the steps in
   * order. Every consume that reached the store counted, refused or not: a refused step is given back at once
   * (its `refused` may still let the send go on), and everything taken is given back when a refusal is thrown
   * or a store failed (SERVICE_UNAVAILABLE: with a limit we cannot check, we do not send). Returns each
   * step's result and what is left to give back if the message is not sent after all.
   */
  private async take<T>(
    steps: Step[],
    alongside: Promise<T>,
  ): Promise<{ release: () => Promise<void>; results: RateLimiterRes[]; alongside: T }> {
    const [read, ...outcomes] = await Promise.allSettled([
      alongside,
      ...steps.map((s) => s.limiter.consume(s.key, s.points)),
    ])
    const counted = new Set(
      steps.filter((_, i) => {
        const o = outcomes[i]
        return o?.status === 'fulfilled' || o?.reason instanceof RateLimiterRes
      }),
    )
    const giveBack = async (step: Step) => {
      counted.delete(step)
      await step.limiter.reward(step.key, step.points).catch(() => {})
    }
    const release = async () => {
      await Promise.allSettled([...counted].map(giveBack))
    }
    const failure = [read, ...outcomes].find(
      (o) => o?.status === 'rejected' && !(o.reason instanceof RateLimiterRes),
    ) as PromiseRejectedResult | undefined
    if (failure) {
      await release()
      throw new AppError('SERVICE_UNAVAILABLE', {}, {}, undefined, failure.reason)
    }

    const results: RateLimiterRes[] = []
    for (const [i, step] of steps.entries()) {
      const outcome = outcomes[i] as PromiseSettledResult<RateLimiterRes>
      const res = outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as RateLimiterRes)
      results.push(res)
      if (outcome.status === 'fulfilled') continue
      await giveBack(step)
      const refusal = await step.refused(res).catch(async (e: unknown) => {
        await release()
        throw e
      })
      if (refusal) {
        await release()
        throw refusal
      }
    }
    return { release, results, alongside: (read as PromiseFulfilledResult<T>).value }
  }

  /** Today's SMS_DAILY_LIMIT and SMS_DAILY_BUDGET_USD counters for one message (none in development mode). */
  private spendingSteps(phone: Phone, provider: string, text: string): Step[] {
    if (this.devMode) return []
    const a = this.abuse
    const day = utcDay()
    const steps: Step[] = []
    if (this.limiters.dailyCount)
      steps.push({
        limiter: this.limiters.dailyCount,
        key: day,
        points: 1,
        refused: async () => this.capReached('count', `SMS_DAILY_LIMIT=${a.smsDailyLimit}`),
      })
    const cost = Math.ceil(this.price(provider, phone.country, text) * BUDGET_UNITS_PER_USD)
    if (this.limiters.dailyBudget && cost > 0)
      steps.push({
        limiter: this.limiters.dailyBudget,
        key: day,
        points: cost,
        refused: async () => this.capReached('budget', `SMS_DAILY_BUDGET_USD=${a.smsDailyBudgetUsd}`),
      })
    return steps
  }

  /**
   * Takes a message the service sends on its own, not at a user's request (the same code again by SMS when
   * Telegram did not report delivery), from the daily spending caps: they bound money, whoever asked. The
   * per-number and prefix limits count the codes users ask for, so the fallback is not counted there again.
   * A cap that refuses throws SMS_BUDGET_EXCEEDED with nothing held; a store that fails, SERVICE_UNAVAILABLE.
   */
  async reserveSpend(phone: Phone, provider: string, text: string): Promise<SendReservation> {
    const { release } = await this.take(this.spendingSteps(phone, provider, text), Promise.resolve(null))
    return { release }
  }

  private refuse(limit: string, code: ErrorCode, seconds: number): AppError {
    abuseMetrics.limitRejections.inc({ limit })
    return tooMany(code, seconds)
  }

  private capReached(cap: 'count' | 'budget', setting: string): AppError {
    abuseMetrics.spendingCapRejections.inc({ cap })
    const day = utcDay()
    if (this.capLogged.get(cap) !== day) {
      this.capLogged.set(cap, day)
      this.log.error(
        { cap, day },
        `💸 SMS spending cap reached (${setting}): no codes are sent until 00:00 UTC or until the setting is raised`,
      )
    }
    const seconds = secondsUntilUtcMidnight()
    return new AppError('SMS_BUDGET_EXCEEDED', { seconds }, { retry_after: seconds }, seconds)
  }

  /**
   * A right code counts for the verification rate of its prefix, once the code is taken (only the request
   * that took it counts it). Best effort: it never fails a sign-in.
   */
  async recordVerified(phone: string): Promise<void> {
    await this.limiters.prefixVerified.consume(this.pumping.prefixOf(phone)).catch((err: unknown) => {
      this.log.warn({ err }, 'could not count a verified code')
    })
  }

  /**
   * Takes one of the number's wrong guesses for today (NIST SP 800-63B §5.2.2) before a code is compared, so
   * the daily bound holds when many guesses arrive at once; refuses with 429 OTP_VERIFY_LIMIT when none is
   * left. The caller gives the guess back (`refund`) when it turned out right or nothing was compared.
   */
  async reserveVerification(phone: string): Promise<() => Promise<void>> {
    const limiter = this.limiters.failedVerifications
    const key = `${phone}:${utcDay()}`
    const refund = async () => {
      await limiter.reward(key, 1).catch((err: unknown) => {
        this.log.warn({ err }, 'could not give back a verification')
      })
    }
    try {
      await limiter.consume(key)
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw new AppError('SERVICE_UNAVAILABLE', {}, {}, undefined, err)
      await refund()
      throw this.refuse('verify_failures', 'OTP_VERIFY_LIMIT', secondsUntilUtcMidnight())
    }
    return refund
  }

  /** Per-IP limits of verify-otp, refresh, the passkey and the account endpoints (429 RATE_LIMITED). */
  async limitIp(kind: 'verify' | 'refresh' | 'passkey' | 'account', ip: string): Promise<void> {
    const limiter = {
      verify: this.limiters.verifyIp,
      refresh: this.limiters.refreshIp,
      passkey: this.limiters.passkeyIp,
      account: this.limiters.accountIp,
    }
    await consumeOrThrow(limiter[kind], ip, 'RATE_LIMITED')
  }
}
