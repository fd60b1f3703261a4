import { excerpt, gatewayFetch, kindForStatus } from '../fetch.js'
import {
  type SendResult,
  SmsError,
  type SmsErrorKind,
  type SmsMessage,
  type SmsProvider,
} from '../provider.js'
import type { PlaymobileSettings } from './settings.js'

// Playmobile (smsxabar.uz) broker API: POST /broker-api/send with Basic auth. 200 "Request is received" means
// accepted; 400 carries {"error-code": N, "error-description": "…"}. It returns no id of its own: our message
// id (sent as "message-id") is the key its delivery reports use.
const ERROR_KINDS: Record<number, SmsErrorKind> = {
  100: 'unavailable', // internal error: retryable
  102: 'auth_failed', // account locked
  103: 'invalid_recipient', // empty or invalid recipient (also the others below: permanent request errors)
}

export function mapPlaymobileError(status: number, json: unknown, text: string): SmsError {
  const body = json as { 'error-code'?: unknown; 'error-description'?: unknown } | null
  const code = body?.['error-code']
  const description = typeof body?.['error-description'] === 'string' ? body['error-description'] : null
  const message = description ?? (excerpt(text) || `HTTP ${status}`)
  if (status === 400 && typeof code === 'number') {
    // Every other code is a request the gateway will never accept (bad originator, text, number…).
    const kind =
      ERROR_KINDS[code] ??
      (/recipient|phone|number|abonent/i.test(message) ? 'invalid_recipient' : 'rejected_content')
    return new SmsError(kind, message, String(code))
  }
  return new SmsError(kindForStatus(status), message, String(status))
}

export class PlaymobileProvider implements SmsProvider {
  readonly name = 'playmobile'
  private readonly authorization: string

  constructor(
    private readonly config: PlaymobileSettings,
    private readonly timeoutMs: number,
  ) {
    this.authorization = `Basic ${Buffer.from(`${config.login}:${config.password}`).toString('base64')}`
  }

  async send(message: SmsMessage, signal: AbortSignal): Promise<SendResult> {
    const body = {
      messages: [
        {
          recipient: message.to.replace(/\D/g, ''),
          'message-id': message.messageId,
          sms: { originator: this.config.originator, content: { text: message.text } },
        },
      ],
    }
    const res = await gatewayFetch(
      'playmobile',
      `${this.config.baseUrl}/broker-api/send`,
      {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
      },
      signal,
      this.timeoutMs,
    )
    if (res.status !== 200) throw mapPlaymobileError(res.status, res.json, res.text)
    return { providerMessageId: message.messageId, status: 'queued', price: null }
  }
}
