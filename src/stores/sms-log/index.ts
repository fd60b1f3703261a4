import type { SmsStatus } from '../../db/schema.js'

/** A price in the gateway's currency, and its value in US dollars. */
export interface Cost {
  amount: number
  currency: string
  usd: number
}

/** An attempt's row, written `pending` before its gateway is called. */
export interface PendingAttempt {
  /** Our id for the message; gateways that accept a client id get it. */
  id: string
  /** Shared by every attempt (one per provider tried) of one text. */
  requestId: string
  attempt: number
  phone: string
  country: string
  operator: string | null
  provider: string
  /** What carries it: an SMS (when absent), or a message in Telegram. */
  channel?: 'sms' | 'telegram'
  /** Why this attempt: null (or absent) for the first, after an `error`, or after no `delivery` report in time. */
  fallback?: 'error' | 'delivery' | null
  segments: number
  /** GSM-7 or UCS-2; null for a channel that carries no SMS text. */
  encoding: string | null
  /** Our estimate from the price list, if it knows one. */
  estimate: Cost | null
  at: number
}

/** The gateway accepted the attempt. */
export interface SentAttempt {
  id: string
  status: 'queued' | 'sent'
  providerMessageId: string | null
  at: number
  durationMs: number
  /** The price the gateway reported, if it did: it replaces the estimate. */
  reported: Cost | null
}

/** The gateway refused the attempt, or did not answer in time. */
export interface FailedAttempt {
  id: string
  /** One of the SmsError kinds. */
  errorCode: string
  errorMessage: string
  at: number
  durationMs: number
  /** Whether we may still be billed (a timeout: nobody knows); otherwise the attempt's cost is zero. */
  billed: boolean
}

export type ReceiptStatus = Exclude<SmsStatus, 'pending'>

/** A delivery receipt, its status already mapped onto ours. */
export interface ReceiptRecord {
  provider: string
  /** Our id, when the gateway echoes it. */
  logId?: string | undefined
  /** The gateway's own id, looked up among this provider's messages. */
  providerMessageId?: string | undefined
  /** As the gateway wrote it: a gateway repeating a receipt adds no second row. */
  rawStatus: string
  status: ReceiptStatus
  errorCode: string | null
  /** A price the receipt reports: replaces the estimate. */
  reported: Cost | null
  at: number
}

/** A message a gateway accepted: its name and its id for the message. */
export interface AcceptedMessage {
  provider: string
  providerMessageId: string
}

/** `updated` when the receipt was new or moved the message on; `unknown_message` when no row matches. */
export type ReceiptResult = 'updated' | 'unchanged' | 'unknown_message'

/**
 * The SMS log: one row per attempt to send a text, and the delivery receipts gateways send back for it.
 * Writes resolve once they are durable.
 */
export interface SmsLogStore {
  pending(attempt: PendingAttempt): Promise<void>
  /** Records the gateway's answer, unless a receipt has already moved the row on from `pending`. */
  sent(attempt: SentAttempt): Promise<void>
  /** Records a refusal, and erases a wait recorded for the attempt: the sender moves on by itself. */
  failed(attempt: FailedAttempt): Promise<void>
  /**
   * Applies a receipt at once: stores it (once per message and raw status), moves the message's status
   * forward only (see `statusesBefore`) and records a reported price.
   */
  applyReceipt(receipt: ReceiptRecord): Promise<ReceiptResult>
  /**
   * Attempts still `pending` made between `since` and `before`, oldest first: their sender is gone. The
   * window keeps the look on the created_at index (there is none on status).
   */
  stale(since: number, before: number, limit: number): Promise<StaleAttempt[]>
  /**
   * The messages gateways accepted for the newest send to `phone` made since `since` (all its attempts:
   * Telegram's and a fallback SMS), to tell them its code was entered.
   */
  lastSend(phone: string, since: number): Promise<AcceptedMessage[]>
  /** Settles a stale attempt, only if it is still `pending` (a receipt that came meanwhile wins). */
  resolve(resolution: Resolution): Promise<boolean>
  /**
   * Starts (or, for the next step, re-arms) the wait for an attempt's delivery report, atomically with what
   * the attempt's row already says: a report that came first leaves it `delivered` (or due at once, when it
   * said undelivered). A receipt applied later settles it in the same transaction (`applyReceipt`): delivered
   * ends the wait, undelivered or failed makes it due now; either only while it is `waiting`.
   *
   * An existing wait is re-armed only by its own attempt while it is still `waiting` (the gateway's answer
   * moves it closer), or by the sweep that claimed it, for its next attempt. A late answer never takes a
   * claimed wait back, nor revives one that ended.
   */
  watch(watch: DeliveryWatch): Promise<void>
  /**
   * Claims the waits that are due (or whose claimer let its lease run out) for this instance alone, until
   * `now + leaseMs`: of several instances sweeping at once, each row goes to exactly one.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]>
  /** Ends a claimed wait and erases its sealed code. */
  settle(id: string, state: 'fell_back' | 'expired' | 'failed', at: number): Promise<void>
}

/** A code whose attempt waits for its delivery report before the route's next step is tried. */
export interface DeliveryWatch {
  /** The request id its attempts share. */
  id: string
  phone: string
  /** The code's id in the code store: a code verified or replaced meanwhile is not sent again. */
  codeId: string
  /** 'sms' when the user asked for SMS only. */
  channel: 'sms' | null
  /** The code and its text, sealed (src/sms/seal.ts). */
  sealed: string
  watchedLogId: string
  nextStep: number
  /** Attempts made so far (the next one is numbered after them). */
  attempts: number
  dueAt: number
  expiresAt: number
  at: number
}

export type DueDelivery = Pick<
  DeliveryWatch,
  'id' | 'phone' | 'codeId' | 'channel' | 'nextStep' | 'attempts' | 'expiresAt'
> & { sealed: string | null }

/** An attempt left `pending` by a process that died between writing its row and recording the answer. */
export interface StaleAttempt {
  id: string
  provider: string
  phone: string
  providerMessageId: string | null
  at: number
}

/** What became of a stale attempt: its gateway's word, or `unknown` when the gateway could not tell. */
export interface Resolution {
  id: string
  status: Exclude<SmsStatus, 'pending'>
  providerMessageId: string | null
  at: number
}

/** What a resolution sets besides the status (null: left as it is). */
export function resolutionColumns(r: Resolution): {
  sentAt: number | null
  deliveredAt: number | null
  failedAt: number | null
} {
  return {
    sentAt: r.status === 'unknown' ? null : r.at,
    deliveredAt: r.status === 'delivered' ? r.at : null,
    failedAt: r.status === 'undelivered' || r.status === 'failed' ? r.at : null,
  }
}

/** How far along a message is; a receipt never moves a message backwards (delivered stays delivered). */
const RANK: Record<SmsStatus, number> = {
  pending: 0,
  // Nothing is known of it, so any receipt moves it on.
  unknown: 0,
  queued: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
}

/** The statuses a receipt reporting `status` may move a message on from. */
export function statusesBefore(status: ReceiptStatus): SmsStatus[] {
  return (Object.keys(RANK) as SmsStatus[]).filter((s) => RANK[s] < RANK[status])
}

/** What a receipt sets besides the status (null: left as it is): its time, and the gateway's error code on a failure. */
export function receiptColumns(receipt: ReceiptRecord): {
  deliveredAt: number | null
  failedAt: number | null
  errorCode: string | null
} {
  const failure = receipt.status === 'undelivered' || receipt.status === 'failed'
  return {
    deliveredAt: receipt.status === 'delivered' ? receipt.at : null,
    failedAt: failure ? receipt.at : null,
    errorCode: failure && receipt.errorCode ? receipt.errorCode : null,
  }
}
