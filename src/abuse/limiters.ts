import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Config } from '../config.js'
import type { LimitStore } from '../stores/limits/index.js'

/** Budget counters hold ten-thousandths of a dollar: whole numbers, as the limiter stores need. */
export const BUDGET_UNITS_PER_USD = 10_000
export const DAY_SECONDS = 86_400
/** Counters that only count (the verified codes of a prefix): a limit no one reaches. */
const UNBOUNDED = 1_000_000_000

/** The counters of the abuse protections, each a rate-limiter-flexible limiter in the shared store. */
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
  passkeyIp: RateLimiterAbstract
  accountIp: RateLimiterAbstract
}

export async function createAbuseLimiters(options: {
  store: LimitStore
  abuse: Config['abuse']
}): Promise<AbuseLimiters> {
  const { store, abuse: a } = options
  const day = DAY_SECONDS
  // Daily keys carry the UTC date, so a new day starts a new counter; the duration only lets old keys expire.
  const [numberHour, numberDay, prefixSent, prefixVerified, failedVerifications, verifyIp, refreshIp] =
    await Promise.all([
      store.create({
        name: 'otp_number_hour',
        points: a.perNumberHour,
        durationSeconds: 3600,
        perNumber: true,
      }),
      store.create({ name: 'otp_number_day', points: a.perNumberDay, durationSeconds: day, perNumber: true }),
      store.create({
        name: 'otp_prefix_sent',
        points: a.pumping.maxCodesPerPrefix,
        durationSeconds: a.pumping.windowSeconds,
      }),
      store.create({
        name: 'otp_prefix_verified',
        points: UNBOUNDED,
        durationSeconds: a.pumping.windowSeconds,
      }),
      store.create({
        name: 'otp_verify_failed',
        points: a.failedVerificationsPerDay,
        durationSeconds: 2 * day,
        perNumber: true,
      }),
      store.create({ name: 'verify_ip', points: a.verifyIpLimitPerMinute, durationSeconds: 60 }),
      store.create({ name: 'refresh_ip', points: a.refreshIpLimitPerMinute, durationSeconds: 60 }),
    ])
  const [passkeyIp, accountIp] = await Promise.all([
    store.create({ name: 'passkey_ip', points: a.passkeyIpLimitPerMinute, durationSeconds: 60 }),
    store.create({ name: 'account_ip', points: a.accountIpLimitPerMinute, durationSeconds: 60 }),
  ])
  return {
    numberHour,
    numberDay,
    prefixSent,
    prefixVerified,
    prefixVerifiedCount: (prefix) => store.consumed(prefixVerified, prefix),
    failedVerifications,
    verifyIp,
    refreshIp,
    passkeyIp,
    accountIp,
    dailyCount:
      a.smsDailyLimit > 0
        ? await store.create({ name: 'sms_daily_count', points: a.smsDailyLimit, durationSeconds: 2 * day })
        : null,
    dailyBudget:
      a.smsDailyBudgetUsd > 0
        ? await store.create({
            name: 'sms_daily_budget',
            points: Math.round(a.smsDailyBudgetUsd * BUDGET_UNITS_PER_USD),
            durationSeconds: 2 * day,
          })
        : null,
  }
}
