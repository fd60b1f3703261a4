import { Counter, collectDefaultMetrics, Histogram, Registry, register } from 'prom-client'

// Node's own metrics (CPU, memory, event loop lag, GC) describe the process, not one app instance, and
// collecting them installs process-wide observers; so they go once into prom-client's default registry, with
// any other process-wide counter a module registers there. Each app keeps its own registry for its counters
// (the tests build hundreds of apps in one process, and a scrape of one must not show another's traffic).
let defaultsCollected = false
function processMetrics(): Registry {
  if (!defaultsCollected && !register.getSingleMetric('process_cpu_user_seconds_total')) {
    collectDefaultMetrics({ register })
  }
  defaultsCollected = true
  return register
}

/** The service's Prometheus instruments. Label values are bounded sets (routes, codes, providers, countries). */
export class Metrics {
  readonly registry = new Registry()

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route pattern (not the raw URL) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })

  readonly otpSent = new Counter({
    name: 'otp_codes_sent_total',
    help: 'One-time codes sent (send-otp answered 200)',
    registers: [this.registry],
  })

  readonly otpVerified = new Counter({
    name: 'otp_codes_verified_total',
    help: 'One-time codes verified (verify-otp answered 200)',
    registers: [this.registry],
  })

  readonly otpFailed = new Counter({
    name: 'otp_codes_failed_total',
    help: 'send-otp or verify-otp requests that failed, by stage and error code (rate limits excluded)',
    labelNames: ['stage', 'code'] as const,
    registers: [this.registry],
  })

  readonly otpRateLimited = new Counter({
    name: 'otp_rate_limited_total',
    help: 'send-otp or verify-otp requests refused by a limit (HTTP 429), by stage and error code',
    labelNames: ['stage', 'code'] as const,
    registers: [this.registry],
  })

  readonly smsAttempts = new Counter({
    name: 'sms_attempts_total',
    help: 'Calls to an SMS gateway, by provider, destination country and outcome (accepted or the error kind)',
    labelNames: ['provider', 'country', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly smsLatency = new Histogram({
    name: 'sms_provider_duration_seconds',
    help: 'Time an SMS gateway took to accept or refuse a message (timeouts count at SMS_TIMEOUT_MS)',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers: [this.registry],
  })

  readonly smsCost = new Counter({
    name: 'sms_cost_usd_total',
    help: "Cost of the messages gateways accepted, in US dollars: the price the gateway reported, else the price table estimate (so'm converted at UZS_PER_USD)",
    labelNames: ['provider', 'country'] as const,
    registers: [this.registry],
  })

  readonly passkeySignIns = new Counter({
    name: 'passkey_sign_ins_total',
    help: 'Sign-ins with a passkey (no code SMS sent), by app',
    labelNames: ['app'] as const,
    registers: [this.registry],
  })

  readonly passkeySmsSavedUsd = new Counter({
    name: 'passkey_sms_saved_usd_total',
    help: "What the code SMS passkey sign-ins spared would have cost, in US dollars: the price table's price of the number's route (so'm converted at UZS_PER_USD)",
    labelNames: ['country'] as const,
    registers: [this.registry],
  })

  readonly contentType = this.registry.contentType

  /** The exposition text: this app's metrics followed by the process metrics. */
  async exposition(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()])
    return `${own}\n${process}`
  }
}
