import { parsePhone } from '../phone/index.js'
import { observeProvider } from '../sms/observe.js'
import { SmsError, type SmsProvider } from '../sms/provider.js'
import type { Metrics } from './index.js'

/** The same provider, with every `send` counted (provider, destination country, outcome) and timed. */
export function instrumentProvider(provider: SmsProvider, metrics: Metrics): SmsProvider {
  return observeProvider(provider, ({ provider: name, message, error, durationMs }) => {
    // Anything but an SmsError (the deadline's AbortError, a bug) is what the sender records as `unavailable`.
    const outcome = error === null ? 'accepted' : error instanceof SmsError ? error.kind : 'unavailable'
    const country = parsePhone(message.to)?.country ?? 'unknown'
    metrics.smsAttempts.inc({ provider: name, country, outcome })
    metrics.smsLatency.observe({ provider: name }, durationMs / 1000)
  })
}
