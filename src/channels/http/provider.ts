import { createHmac } from 'node:crypto'
import { excerpt, gatewayFetch, kindForStatus } from '../fetch.js'
import {
  type SendResult,
  SmsError,
  type SmsErrorKind,
  type SmsMessage,
  type SmsProvider,
} from '../provider.js'
import type { HttpGatewaySettings } from './settings.js'

const KINDS: readonly SmsErrorKind[] = [
  'invalid_recipient',
  'rejected_content',
  'throttled',
  'quota_exhausted',
  'auth_failed',
  'unavailable',
]

/**
 * The signature a receiver checks: hex HMAC-SHA256 with HTTP_SMS_SECRET over `<timestamp>.<raw body>`, where
 * the timestamp (Unix seconds) is also sent, so a captured request cannot be replayed later with a new time.
 */
export function signHttpSms(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/**
 * A generic JSON gateway for services without a built-in provider (sms.uz and others, in-house systems):
 * POST {"to", "text", "message_id"} with `X-Signature-Timestamp` and `X-Signature: sha256=<hex>`. Any 2xx is
 * success (an `id` in a JSON answer is kept as the gateway's id). A refusal may name our error kind in
 * `{"error": "<kind>", "message": "…"}`; otherwise the status decides (401/403, 402, 429, other: retryable).
 */
export class HttpGatewayProvider implements SmsProvider {
  readonly name = 'http'

  constructor(
    private readonly config: HttpGatewaySettings,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async send(message: SmsMessage, signal: AbortSignal): Promise<SendResult> {
    const body = JSON.stringify({ to: message.to, text: message.text, message_id: message.messageId })
    const timestamp = String(Math.floor(this.now() / 1000))
    const res = await gatewayFetch(
      'http',
      this.config.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-signature-timestamp': timestamp,
          'x-signature': `sha256=${signHttpSms(this.config.secret, timestamp, body)}`,
        },
        body,
      },
      signal,
      this.timeoutMs,
    )
    const json = res.json as { id?: unknown; error?: unknown; message?: unknown } | null
    if (res.status >= 200 && res.status < 300) {
      const id = json?.id
      return {
        providerMessageId: typeof id === 'string' || typeof id === 'number' ? String(id) : message.messageId,
        status: 'queued',
        price: null,
      }
    }
    const named = KINDS.find((k) => k === json?.error)
    const text = typeof json?.message === 'string' ? json.message : excerpt(res.text) || `HTTP ${res.status}`
    throw new SmsError(named ?? kindForStatus(res.status), text, String(res.status))
  }
}
