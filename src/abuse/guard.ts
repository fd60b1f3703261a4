import type { Logger } from 'pino'
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible'
import type { Config } from '../config.js'
import type { Db } from '../db/index.js'
import { AppError, type ErrorCode } from '../errors.js'
import type { LimiterFactory } from '../otp/limits.js'
import { consumeOrThrow } from '../otp/limits.js'
import type { Phone } from '../phone/index.js'
import { countSegments, estimateCost, type PriceSettings } from '../sms/pricing.js'
import { BlockCache, blockPrefix, isActive, numberPrefix } from './blocks.js'
import { abuseMetrics } from './metrics.js'

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

/** Budget counters hold ten-thousandths of a dollar: whole numbers, as the limiter stores need. */
const BUDGET_UNITS_PER_USD = 10_000
const DAY_SECONDS = 86_400
/**
 * How stale the in-memory list of blocked prefixes may get: a block made by the CLI or another instance is
 * honoured within this time (blocks made or lifted by this process at once).
 */
export const BLOCKS_REFRESH_MS = 1000
/** Counters that only count (the verified codes of a prefix): a limit no one reaches. */
const UNBOUNDED = 1_000_000_000

export interface AbuseLimiters {
  numberHour: RateLimiterAbstract
  numberDay: RateLimiterAbstract
  prefixSent: RateLimiterAbstract
  prefixVerified: RateLimiterAbstract
  /** The codes of a prefix verified in the current window (read before a send, taking nothing). */
  prefixVerifiedCount: (prefix: string) => Promise<number>
  dailyCount: RateLimiterAbstract | null
  dailyBudget: RateLimiterAbstract | null
  failedVerifications: RateLimiterAbstract
  verifyIp: RateLimiterAbstract
  refreshIp: RateLimiterAbstract
}

export async function createAbuseLimiters(factory: LimiterFactory, config: Config): Promise<AbuseLimiters> {
  const a = config.abuse
  const day = DAY_SECONDS
  // Daily keys carry the UTC date, so a new day starts a new counter; the duration only lets old keys expire.
  const [numberHour, numberDay, prefixSent, prefixVerified, failedVerifications, verifyIp, refreshIp] =
    await Promise.all([
      factory.create({
        name: 'otp_number_hour',
        points: a.perNumberHour,
        durationSeconds: 3600,
        perNumber: true,
      }),
      factory.create({
        name: 'otp_number_day',
        points: a.perNumberDay,
        durationSeconds: day,
        perNumber: true,
      }),
      factory.create({
        name: 'otp_prefix_sent',
        points: a.pumping.maxCodesPerPrefix,
        durationSeconds: a.pumping.windowSeconds,
      }),
      factory.create({
        name: 'otp_prefix_verified',
        points: UNBOUNDED,
        durationSeconds: a.pumping.windowSeconds,
      }),
      factory.create({
        name: 'otp_verify_failed',
        points: a.failedVerificationsPerDay,
        durationSeconds: 2 * day,
        perNumber: true,
      }),
      factory.create({ name: 'verify_ip', points: a.verifyIpLimitPerMinute, durationSeconds: 60 }),
      factory.create({ name: 'refresh_ip', points: a.refreshIpLimitPerMinute, durationSeconds: 60 }),
    ])
  return {
    numberHour,
    numberDay,
    prefixSent,
    prefixVerified,
    prefixVerifiedCount: factory.reader(prefixVerified),
    failedVerifications,
    verifyIp,
    refreshIp,
    dailyCount:
      a.smsDailyLimit > 0
        ? await factory.create({ name: 'sms_daily_count', points: a.smsDailyLimit, durationSeconds: 2 * day })
        : null,
    dailyBudget:
      a.smsDailyBudgetUsd > 0
        ? await factory.create({
            name: 'sms_daily_budget',
            points: Math.round(a.smsDailyBudgetUsd * BUDGET_UNITS_PER_USD),
            durationSeconds: 2 * day,
          })
        : null,
  }
}

const DAY_MS = 86_400_000
/** The last day asked for: every send-otp asks, and formatting a date anew took half a microsecond. */
let lastDay = { from: 0, until: 0, day: '' }

/** The UTC date of `now`, e.g. 2026-11-24 (JavaScript time has no leap seconds: a day is 86,400,000 ms). */
export function utcDay(now = Date.now()): string {
  if (now < lastDay.from || now >= lastDay.until) {
    const from = now - (now % DAY_MS)
    lastDay = { from, until: from + DAY_MS, day: new Date(from).toISOString().slice(0, 10) }
  }
  return lastDay.day
}

/** Whole seconds until the next UTC midnight, at least 1. */
export function secondsUntilUtcMidnight(now = Date.now()): number {
  const next = new Date(now)
  next.setUTCHours(24, 0, 0, 0)
  return Math.max(1, Math.ceil((next.getTime() - now) / 1000))
}

function tooMany(code: ErrorCode, seconds: number): AppError {
  return new AppError(code, { seconds }, { retry_after: seconds }, seconds)
}

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

/** The state of a number's prefix before sending: its key and when an operator last cleared it. */
export interface PrefixState {
  prefix: string
  clearedAt: number | null
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
  /** The blocked prefixes, read at most once per BLOCKS_REFRESH_MS (blocks.ts). */
  readonly blocks: BlockCache

  constructor(
    private readonly config: Config,
    private readonly db: Db,
    private readonly limiters: AbuseLimiters,
    private readonly price: SmsPrice,
    private readonly log: Logger,
  ) {
    this.blocks = new BlockCache(db, BLOCKS_REFRESH_MS, config.abuse.pumping.windowSeconds * 1000)
  }

  /** The prefix a number's pumping counters and blocks go by. */
  private prefixOf(e164: string): string {
    return numberPrefix(e164, this.config.abuse.pumping.dropDigits)
  }

  /** Refuses a number whose prefix is blocked (429 OTP_PREFIX_BLOCKED). */
  async checkPrefix(phone: Phone): Promise<PrefixState> {
    const prefix = this.prefixOf(phone.e164)
    const now = Date.now()
    const block = await this.blocks.find(prefix, now)
    if (block && isActive(block, now)) {
      abuseMetrics.limitRejections.inc({ limit: 'prefix_blocked' })
      const seconds =
        block.expires_at === null ? DAY_SECONDS : Math.max(1, Math.ceil((block.expires_at - now) / 1000))
      throw tooMany('OTP_PREFIX_BLOCKED', seconds)
    }
    return { prefix, clearedAt: block?.removed_at ?? null }
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
    const a = this.config.abuse
    const day = utcDay()
    const prefixStep: Step = {
      limiter: this.limiters.prefixSent,
      key: state.prefix,
      points: 1,
      refused: async () =>
        await this.blockOrAllow(
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
    // Development mode sends nothing that costs money, so it does not count against the spending caps.
    if (!this.config.devMode) {
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
    }

    // The verification rate of the prefix is read alongside, for the pumping check after the counters.
    const judgeRate = this.config.abuse.pumping.minVerifyRate > 0
    const [verified, ...outcomes] = await Promise.allSettled([
      judgeRate ? this.limiters.prefixVerifiedCount(state.prefix) : Promise.resolve(0),
      ...steps.map((s) => s.limiter.consume(s.key, s.points)),
    ])
    // Every consume that reached the store counted, refused or not: all of it is given back if this send
    // does not happen. A refused step is given back at once (the detector may still let the send go on).
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
    const failure = [verified, ...outcomes].find(
      (o) => o?.status === 'rejected' && !(o.reason instanceof RateLimiterRes),
    ) as PromiseRejectedResult | undefined
    if (failure) {
      // A store that failed: with a limit we cannot check, we do not send.
      await release()
      throw new AppError('SERVICE_UNAVAILABLE', {}, {}, undefined, failure.reason)
    }

    let sentInWindow = 0
    for (const [i, step] of steps.entries()) {
      const outcome = outcomes[i] as PromiseSettledResult<RateLimiterRes>
      const res = outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as RateLimiterRes)
      if (step === prefixStep) sentInWindow = res.consumedPoints
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
    if (judgeRate && verified?.status === 'fulfilled')
      try {
        await this.checkVerifyRate(state, sentInWindow, verified.value)
      } catch (err) {
        await release()
        throw err
      }
    return { release }
  }

  /**
   * Many codes sent to a prefix and almost none verified is the signature of pumping: the numbers belong to
   * whoever is paid per delivered SMS, and no one types the codes in. `sent` counts this send too.
   */
  private async checkVerifyRate(state: PrefixState, sent: number, verified: number): Promise<void> {
    const p = this.config.abuse.pumping
    // The code being sent now cannot have been verified yet: judge the ones before it.
    const before = sent - 1
    if (before < p.minSample || verified / before >= p.minVerifyRate) return
    const refusal = await this.blockOrAllow(
      state,
      'verify_rate',
      `${verified} of ${before} codes verified in ${p.windowSeconds} s (below ${p.minVerifyRate})`,
    )
    if (refusal) throw refusal
  }

  /** Blocks the prefix, unless an operator cleared it within the current window. */
  private async blockOrAllow(
    state: PrefixState,
    reason: 'volume' | 'verify_rate',
    detail: string,
  ): Promise<AppError | null> {
    const p = this.config.abuse.pumping
    const now = Date.now()
    if (state.clearedAt !== null && state.clearedAt > now - p.windowSeconds * 1000) return null
    await blockPrefix(this.db, {
      prefix: state.prefix,
      reason,
      detail,
      createdBy: 'auto',
      expiresAt: now + p.blockSeconds * 1000,
    })
    this.blocks.changed()
    abuseMetrics.prefixBlocks.inc({ reason })
    this.log.warn(
      { prefix: state.prefix, reason, detail, blockSeconds: p.blockSeconds },
      `🚫 Prefix ${state.prefix} blocked for ${p.blockSeconds} s (possible SMS pumping): ${detail}`,
    )
    return tooMany('OTP_PREFIX_BLOCKED', p.blockSeconds)
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
    await this.limiters.prefixVerified.consume(this.prefixOf(phone)).catch((err: unknown) => {
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

  /** Per-IP limits of verify-otp and refresh (429 RATE_LIMITED). */
  async limitIp(kind: 'verify' | 'refresh', ip: string): Promise<void> {
    await consumeOrThrow(
      kind === 'verify' ? this.limiters.verifyIp : this.limiters.refreshIp,
      ip,
      'RATE_LIMITED',
    )
  }
}

function retrySeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
}
