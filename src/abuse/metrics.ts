import { Counter, register } from 'prom-client'

// Registered once per process in prom-client's default registry (the one GET /metrics exposes), however many
// apps a test run builds.
function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames })
}

export const abuseMetrics = {
  /** Sends refused because a global spending cap is reached (cap: count | budget). */
  spendingCapRejections: counter(
    'royal_taxi_sms_spending_cap_rejections_total',
    'send-otp requests refused because SMS_DAILY_LIMIT or SMS_DAILY_BUDGET_USD is reached',
    ['cap'],
  ),
  /** Prefixes blocked by the pumping detector (reason: volume | verify_rate). */
  prefixBlocks: counter(
    'royal_taxi_prefix_blocks_total',
    'number prefixes blocked by the SMS-pumping detector',
    ['reason'],
  ),
  /** Requests refused by an abuse limit (limit: number_hour, number_day, prefix_blocked, verify_failures, ...). */
  limitRejections: counter('royal_taxi_abuse_rejections_total', 'requests refused by an abuse limit', [
    'limit',
  ]),
}
