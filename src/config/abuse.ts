import Type, { type Static, type TObject } from 'typebox'
import { int } from '../settings.js'

/** Limits against SMS pumping and brute force: per number, per IP, per day, per number prefix. */
export const ABUSE_SETTINGS = {
  OTP_MAX_PER_NUMBER_HOUR: int(5, 1, 1000, 'codes one number may receive in an hour'),
  OTP_MAX_PER_NUMBER_DAY: int(10, 1, 10000, 'codes one number may receive in a day'),
  OTP_MAX_FAILED_VERIFICATIONS_PER_DAY: int(100, 1, 100000, 'wrong codes one number may try per UTC day'),
  VERIFY_IP_LIMIT_PER_MINUTE: int(30, 1, 1_000_000, 'verify-otp requests one IP may make per minute'),
  REFRESH_IP_LIMIT_PER_MINUTE: int(30, 1, 1_000_000, 'refresh requests one IP may make per minute'),
  PASSKEY_IP_LIMIT_PER_MINUTE: int(30, 1, 1_000_000, 'passkey requests one IP may make per minute'),
  ACCOUNT_IP_LIMIT_PER_MINUTE: int(
    30,
    1,
    1_000_000,
    'requests to the account endpoints (sessions, a new number, deletion) one IP may make per minute',
  ),
  SMS_DAILY_LIMIT: int(0, 0, 100_000_000, 'SMS per UTC day, 0 for no limit'),
  SMS_DAILY_BUDGET_USD: Type.Number({
    default: 0,
    minimum: 0,
    maximum: 1_000_000,
    description: 'US dollars of SMS per UTC day, 0 for no limit (0..1000000)',
  }),
  PUMPING_PREFIX_DROP_DIGITS: int(3, 1, 8, 'trailing digits dropped from a number to get its prefix'),
  PUMPING_WINDOW_SECONDS: int(3600, 60, 7 * 86400, 'seconds over which a prefix is watched'),
  PUMPING_MAX_CODES_PER_PREFIX: int(30, 1, 1_000_000, 'codes one prefix may receive in the window'),
  PUMPING_MIN_SAMPLE: int(20, 1, 1_000_000, 'codes sent to a prefix before its verification rate is judged'),
  PUMPING_MIN_VERIFY_RATE: Type.Number({
    default: 0.1,
    minimum: 0,
    maximum: 1,
    description: 'share of sent codes that must be verified, 0 to disable (0..1)',
  }),
  PUMPING_BLOCK_SECONDS: int(43200, 60, 30 * 86400, 'seconds a suspicious prefix stays blocked'),
}

export function abuseConfig(env: Static<TObject<typeof ABUSE_SETTINGS>>) {
  return {
    abuse: {
      perNumberHour: env.OTP_MAX_PER_NUMBER_HOUR,
      perNumberDay: env.OTP_MAX_PER_NUMBER_DAY,
      failedVerificationsPerDay: env.OTP_MAX_FAILED_VERIFICATIONS_PER_DAY,
      verifyIpLimitPerMinute: env.VERIFY_IP_LIMIT_PER_MINUTE,
      refreshIpLimitPerMinute: env.REFRESH_IP_LIMIT_PER_MINUTE,
      passkeyIpLimitPerMinute: env.PASSKEY_IP_LIMIT_PER_MINUTE,
      accountIpLimitPerMinute: env.ACCOUNT_IP_LIMIT_PER_MINUTE,
      smsDailyLimit: env.SMS_DAILY_LIMIT,
      smsDailyBudgetUsd: env.SMS_DAILY_BUDGET_USD,
      pumping: {
        dropDigits: env.PUMPING_PREFIX_DROP_DIGITS,
        windowSeconds: env.PUMPING_WINDOW_SECONDS,
        maxCodesPerPrefix: env.PUMPING_MAX_CODES_PER_PREFIX,
        minSample: env.PUMPING_MIN_SAMPLE,
        minVerifyRate: env.PUMPING_MIN_VERIFY_RATE,
        blockSeconds: env.PUMPING_BLOCK_SECONDS,
      },
    },
  }
}
