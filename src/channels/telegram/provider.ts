import { excerpt, gatewayFetch, kindForStatus } from '../fetch.js'
import {
  type SendResult,
  SmsError,
  type SmsErrorKind,
  type SmsMessage,
  type SmsProvider,
} from '../provider.js'
import type { TelegramSettings } from './settings.js'

// Telegram Gateway (core.telegram.org/gateway): every answer is HTTP 200 with {"ok": true, "result": …} or
// {"ok": false, "error": "<CODE>"}. It carries a code, not a text: the wording of the message is Telegram's.

/** The `ttl` Telegram accepts, in seconds: beyond it an undelivered message is refunded. */
const TTL_MIN = 30
const TTL_MAX = 3600

/** A RequestStatus, as far as we read it. */
export interface RequestStatus {
  request_id?: unknown
  request_cost?: unknown
  remaining_balance?: unknown
}

/**
 * Telegram's error strings onto our kinds. A number without Telegram (or one Telegram will not message) is
 * `cannot_receive`: the route's next step (SMS) reaches it, so it never stops the route the way a refused
 * number does for an SMS gateway. Errors in what we sent (code, ttl, callback, sender) are configuration
 * faults, like a bad token: the next step still gets the code out.
 */
export function telegramErrorKind(error: string): SmsErrorKind {
  const e = error.toUpperCase()
  if (e.startsWith('ACCESS_TOKEN') || e.includes('UNAUTHORIZED') || e.includes('IP_')) return 'auth_failed'
  if (e.includes('BALANCE')) return 'quota_exhausted'
  if (e.startsWith('FLOOD') || e.includes('TOO_MANY')) return 'throttled'
  if (e.startsWith('PHONE_') || e.startsWith('USER_') || e.includes('CANNOT_RECEIVE')) return 'cannot_receive'
  if (/^(CODE|TTL|PAYLOAD|CALLBACK|SENDER|REQUEST_ID)_/.test(e)) return 'auth_failed'
  return 'unavailable'
}

export class TelegramGatewayProvider implements SmsProvider {
  readonly name = 'telegram'
  readonly channel = 'telegram'

  constructor(
    private readonly config: TelegramSettings,
    private readonly timeoutMs: number,
  ) {}

  async send(message: SmsMessage, signal: AbortSignal): Promise<SendResult> {
    // A text without a code (the CLI's test message) cannot go through a channel that only carries codes;
    // Telegram takes 4–8 digits.
    if (!message.code || !/^[0-9]{4,8}$/.test(message.code))
      throw new SmsError(
        'cannot_receive',
        'Telegram Gateway carries only verification codes of 4 to 8 digits',
        'NO_CODE',
      )
    let cost = 0
    let requestId: string | undefined
    if (this.config.checkAbility) {
      // Charged when the number can receive; its request_id makes the send below free.
      const ability = await this.call('checkSendAbility', { phone_number: message.to }, signal)
      requestId = typeof ability.request_id === 'string' ? ability.request_id : undefined
      cost += Number(ability.request_cost) || 0
    }
    const ttl = Math.min(TTL_MAX, Math.max(TTL_MIN, Math.round(message.ttlSeconds ?? TTL_MAX)))
    const status = await this.call(
      'sendVerificationMessage',
      {
        phone_number: message.to,
        code: message.code,
        ttl,
        payload: message.messageId,
        ...(requestId ? { request_id: requestId } : {}),
        ...(this.config.callbackUrl ? { callback_url: this.config.callbackUrl } : {}),
        ...(this.config.senderUsername ? { sender_username: this.config.senderUsername } : {}),
      },
      signal,
    )
    cost += Number(status.request_cost) || 0
    return {
      providerMessageId: typeof status.request_id === 'string' ? status.request_id : null,
      status: 'sent',
      price: { amount: cost, currency: 'USD' },
    }
  }

  /**
   * checkVerificationStatus with the code the user typed: Telegram asks senders to call it even when the code
   * is their own (../shared/telegram-gateway.md).
   */
  async verified(requestId: string, code: string, signal: AbortSignal): Promise<void> {
    await this.call('checkVerificationStatus', { request_id: requestId, code }, signal)
  }

  /** One method call; the token goes in the Authorization header only, never in a URL that could be logged. */
  async call(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<RequestStatus> {
    const res = await gatewayFetch(
      'Telegram Gateway',
      `${this.config.baseUrl}/${method}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${this.config.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(params),
      },
      signal,
      this.timeoutMs,
    )
    const body = res.json as { ok?: unknown; result?: unknown; error?: unknown } | null
    if (res.status !== 200 || !body || typeof body !== 'object')
      throw new SmsError(
        kindForStatus(res.status),
        `Telegram Gateway answered ${res.status}: ${excerpt(res.text) || 'no body'}`,
        String(res.status),
      )
    if (body.ok !== true) {
      const error = typeof body.error === 'string' && body.error ? body.error : 'UNKNOWN_ERROR'
      throw new SmsError(telegramErrorKind(error), error, error)
    }
    if (!body.result || typeof body.result !== 'object')
      throw new SmsError('unavailable', 'Telegram Gateway answered without a result', 'NO_RESULT')
    return body.result as RequestStatus
  }
}
