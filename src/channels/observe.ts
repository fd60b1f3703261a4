import type { SendResult, SmsMessage, SmsProvider } from './provider.js'

export interface ObservedAttempt {
  provider: string
  message: SmsMessage
  /** Set when the gateway accepted the message. */
  result: SendResult | null
  /** Whatever `send` threw (an SmsError, or the deadline's AbortError). */
  error: unknown
  durationMs: number
}

/**
 * The same provider, calling `listener` after every `send` with its outcome and duration. Everything else
 * the provider offers passes through untouched, so routing and the SMS log see the provider they expect.
 * Metrics and the CLI's `sms test` watch the gateways this way without the sender knowing.
 */
export function observeProvider(
  provider: SmsProvider,
  listener: (attempt: ObservedAttempt) => void,
): SmsProvider {
  const send: SmsProvider['send'] = async (message, signal) => {
    const started = performance.now()
    let result: SendResult | null = null
    let error: unknown = null
    try {
      result = await provider.send(message, signal)
      return result
    } catch (err) {
      error = err
      throw err
    } finally {
      listener({ provider: provider.name, message, result, error, durationMs: performance.now() - started })
    }
  }
  return new Proxy(provider, {
    get(target, property) {
      if (property === 'send') return send
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
