/**
 * The seam every SMS gateway sits behind. A provider sends one message and either returns the gateway's id
 * or throws SmsError with one of a few stable kinds, so routing and HTTP answers never depend on a gateway's
 * own error codes.
 */
import type { SmsStatus } from '../db/schema.js'
import { parsePhone } from '../phone/index.js'

export interface SmsMessage {
  /** E.164 */
  to: string
  text: string
  /** Our id for this message (the SMS log row); gateways that accept a client id get it. */
  messageId: string
  /** The number's country (ISO 3166-1 alpha-2), known to the sender from parsing it. */
  country?: string
  /** The code the text carries, for channels that deliver a code rather than a text (Telegram Gateway). */
  code?: string
  /** Seconds the code stays valid (Telegram refunds a message not delivered within them). */
  ttlSeconds?: number
}

/**
 * The country of a message's number: the sender's, or, for a message built without it (a test, a direct
 * call), parsed from the number. Parsing costs as much as the rest of a send's metrics, hence the field.
 */
export function messageCountry(message: SmsMessage): string | undefined {
  return message.country ?? parsePhone(message.to)?.country
}

export interface SendResult {
  /** The gateway's id for the message, when it gives one. */
  providerMessageId: string | null
  status: 'queued' | 'sent'
  /** What the gateway says the message cost, when its answer reports it; replaces our estimate. */
  price?: { amount: number; currency: string } | null
}

export type SmsErrorKind =
  | 'invalid_recipient'
  | 'rejected_content'
  | 'throttled'
  | 'quota_exhausted'
  | 'auth_failed'
  | 'unavailable'
  /** This channel cannot reach the number (no Telegram account), though another channel may. */
  | 'cannot_receive'

/** Whether another attempt (a later retry or the next provider) may succeed where this one failed. */
const RETRYABLE: Record<SmsErrorKind, boolean> = {
  invalid_recipient: false,
  rejected_content: false,
  throttled: true,
  quota_exhausted: true,
  auth_failed: true,
  unavailable: true,
  cannot_receive: true,
}

export class SmsError extends Error {
  readonly retryable: boolean
  constructor(
    readonly kind: SmsErrorKind,
    /** The gateway's own message, as it wrote it: operators search for it. */
    message: string,
    /** The gateway's own error code, if any. */
    readonly providerCode: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'SmsError'
    this.retryable = RETRYABLE[kind]
  }
}

/** Money left on a gateway account, in the gateway's own currency. */
export interface Balance {
  amount: number
  currency: string
}

export interface SmsProvider {
  /** Stable name used in settings and the SMS log: twilio, eskiz, playmobile, http, telegram, console. */
  readonly name: string
  /** What reaches the user: an SMS (when absent) or a message in Telegram. */
  readonly channel?: 'sms' | 'telegram'
  /** Sends one message; must settle within `signal`'s deadline. */
  send(message: SmsMessage, signal: AbortSignal): Promise<SendResult>
  /**
   * True for a provider that answers in-process at once (the development sink): it is given a signal that
   * never aborts instead of a deadline, sparing a timer and an AbortController per message.
   */
  readonly inProcess?: boolean
  /** The account's balance, for gateways that report one (Eskiz, Twilio); throws SmsError otherwise. */
  balance?(signal: AbortSignal): Promise<Balance>
  /**
   * What became of an attempt whose answer was lost (the process died mid-send), for gateways that can look a
   * message up; null when the gateway has no message that is surely this one. Throws SmsError when it cannot
   * be asked.
   */
  status?(query: StatusQuery, signal: AbortSignal): Promise<GatewayStatus | null>
  /**
   * Tells the gateway that the code of its message `providerMessageId` was entered, for gateways that ask to
   * know (Telegram Gateway's checkVerificationStatus, for its conversion statistics).
   */
  verified?(providerMessageId: string, code: string, signal: AbortSignal): Promise<void>
  /** Releases connections on shutdown. */
  close?(): Promise<void>
}

/** An attempt whose outcome is to be asked from its gateway. */
export interface StatusQuery {
  /** Our id (the SMS-log row), passed to gateways that accept one. */
  messageId: string
  /** The gateway's id, when its answer was recorded. */
  providerMessageId: string | null
  /** E.164 */
  to: string
  /** When the attempt was made (epoch ms): where to look in the gateway's lists. */
  at: number
}

/** A gateway's word on one message, mapped onto our statuses. */
export interface GatewayStatus {
  providerMessageId: string | null
  /** As the gateway wrote it. */
  rawStatus: string
  status: Exclude<SmsStatus, 'pending' | 'unknown'>
}
