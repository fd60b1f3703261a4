import type { Logger } from 'pino'
import type { SendResult, SmsError } from '../channels/provider.js'

// Exact texts: the operators' runbooks grep for them.

export function logSuccess(log: Logger, provider: string, to: string, result: SendResult): void {
  if (provider === 'twilio') log.info(`✅ SMS sent to ${to}. Message SID: ${result.providerMessageId}`)
  else log.info(`✅ SMS sent to ${to} via ${provider}. Message ID: ${result.providerMessageId}`)
}

export function logFailure(log: Logger, provider: string, to: string, err: SmsError): void {
  log.warn(
    provider === 'twilio' ? `⚠️ Failed to send SMS to ${to}` : `⚠️ Failed to send SMS to ${to} via ${provider}`,
  )
  const name = provider === 'twilio' ? 'Twilio' : provider
  log.error(
    { provider, kind: err.kind, providerCode: err.providerCode },
    `${name} error sending SMS: ${err.message}`,
  )
}
