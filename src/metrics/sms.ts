import { observeProvider } from '../channels/observe.js'
import { messageCountry, SmsError, type SmsProvider } from '../channels/provider.js'
import { countSegments, estimateCost, type PriceSettings, reportedCost } from '../pricing.js'
import type { Metrics } from './index.js'

/**
 * The same provider, with every `send` counted (provider, destination country, outcome) and timed, and the
 * cost of each accepted message added up: the price the gateway reported with its answer when it did, else
 * the price table's estimate, as the sender writes to the SMS log at that moment.
 */
export function instrumentProvider(
  provider: SmsProvider,
  metrics: Metrics,
  prices: PriceSettings,
): SmsProvider {
  return observeProvider(provider, ({ provider: name, message, result, error, durationMs }) => {
    // Anything but an SmsError (the deadline's AbortError, a bug) is what the sender records as `unavailable`.
    const outcome = error === null ? 'accepted' : error instanceof SmsError ? error.kind : 'unavailable'
    const country = messageCountry(message) ?? 'unknown'
    metrics.smsAttempts.inc({ provider: name, country, outcome })
    metrics.smsLatency.observe({ provider: name }, durationMs / 1000)
    if (!result) return
    const cost =
      reportedCost(result.price, prices.uzsPerUsd) ??
      estimateCost(prices, name, country, countSegments(message.text).segments)
    if (cost) metrics.smsCost.inc({ provider: name, country }, cost.usd)
  })
}
