import type { Static, TObject, TProperties } from 'typebox'
import type { SmsStatus } from '../db/schema.js'
import type { SmsProvider } from './provider.js'

/** A delivery status once a gateway has reported one. */
export type ReceiptStatus = Exclude<SmsStatus, 'pending'>

/** One delivery report, as a gateway's webhook carries it. */
export interface GatewayReceipt {
  /** Our SMS-log id, when the gateway echoes it (Eskiz user_sms_id, Playmobile message-id). */
  logId?: string | undefined
  /** The gateway's own id (Twilio MessageSid, Eskiz request id). */
  providerMessageId?: string | undefined
  rawStatus: string
  errorCode?: string | null | undefined
  /** A price the receipt reports: replaces our estimate. */
  price?: { amount: number; currency: string } | null | undefined
}

/** Where the gateway's delivery reports are sent back: built from PUBLIC_BASE_URL and WEBHOOK_TOKEN. */
export interface ReceiptLinks {
  publicBaseUrl: string | null
  webhookToken: string | null
}

/** The webhook a connector receives its delivery reports on: POST /api/v1/webhooks/<name>/status. */
export interface ReceiptEndpoint<S> {
  summary: string
  /**
   * Whether the request really comes from the gateway. Absent: the gateway signs nothing, and the secret
   * WEBHOOK_TOKEN in the URL (`?token=`) is checked instead.
   */
  verify?(
    settings: S | null,
    request: { url: string; headers: Record<string, unknown>; body: object; rawBody?: string | undefined },
    links: ReceiptLinks,
  ): boolean
  parse(body: Record<string, unknown>): GatewayReceipt[]
}

export type Status = 'ok' | 'warn' | 'fail'

/** One line of the doctor's report. */
export interface Check {
  section: string
  status: Status
  message: string
  /** What to do about it (warnings and failures). */
  fix?: string
}

export interface LiveCheckContext {
  /** The report's section for this gateway (its label). */
  section: string
  timeoutMs: number
  /** How the doctor words a network error. */
  describeError(err: unknown): string
}

/** What the doctor checks of one gateway. */
export interface ConnectorDoctor<S> {
  /** Whether the raw settings ask for it (even if its other settings are broken). */
  switchedOn(raw: Record<string, string>): boolean
  /** Turns it off in a copy of the raw settings, so the other checks can run without it. */
  switchOff(raw: Record<string, string>): void
  /** How to fix each of its settings, shown under a configuration problem. */
  fixes: Record<string, string>
  /** What the doctor can say about the credentials once the configuration has validated them. */
  wellFormed(settings: S): Check[]
  /** Talks to the gateway with the configured credentials and base URL. */
  live(settings: S, context: LiveCheckContext): Promise<Check[]>
}

/**
 * One SMS gateway, whole: its settings, the provider that sends through it, its delivery reports and what
 * the doctor checks. `P` is its piece of the settings schema, `S` its typed settings once enabled.
 */
export interface Connector<P extends TProperties = TProperties, S = unknown> {
  /** The provider's name in settings, routes, prices and the SMS log. */
  name: string
  label: string
  /** Its settings all start with this, e.g. TWILIO_; a bad one disables the provider's live check. */
  prefix: string
  /** ISO countries it can deliver to ('*': worldwide). */
  countries: '*' | readonly string[]
  /** Its piece of the settings schema (names, defaults, descriptions: the validation messages). */
  settings: P
  /** Settings whose values are never echoed, not even in a start-up error. */
  secrets: readonly string[]
  /** Whether the validated settings enable it. */
  enabled(env: Static<TObject<P>>): boolean
  /** What is wrong with its settings beyond their own schema (checked only when enabled). */
  problems(env: Static<TObject<P>>): string[]
  /** Its settings as the provider takes them; null when disabled. */
  configure(env: Static<TObject<P>>, links: ReceiptLinks): S | null
  /** Builds the provider, and the start-up log line that says so. */
  start(settings: S, timeoutMs: number): { provider: SmsProvider; logLine: string }
  /** The start-up log line when it is disabled, when operators look for one. */
  disabledLine?: string
  /** Its delivery statuses onto ours; null for a spelling it does not know. */
  receiptStatus?(raw: string): ReceiptStatus | null
  receipts?: ReceiptEndpoint<S>
  doctor: ConnectorDoctor<S>
}

/** Declares a connector with its exact name and settings types kept (the composed Config is typed from them). */
export const connector = <const N extends string, P extends TProperties, S>(
  c: Connector<P, S> & { name: N },
): Connector<P, S> & { name: N } => c

/** The reading of a loose webhook field: a non-empty string, or a number as text. */
export const field = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined

/** A price a receipt reports, when it is a number. */
export function receiptPrice(amount: unknown, currency: string): GatewayReceipt['price'] {
  const n = Number(amount)
  return amount !== undefined && amount !== null && amount !== '' && Number.isFinite(n)
    ? { amount: n, currency }
    : null
}
