import type { Generated, Insertable, Selectable } from 'kysely'

// Times are Unix epoch milliseconds in BIGINT columns: the same type and arithmetic on SQLite and PostgreSQL.

export interface UsersTable {
  id: Generated<number>
  phone: string
  full_name: string | null
  created_at: number
  updated_at: number
}

export interface RefreshTokensTable {
  id: string
  user_id: number
  /** All tokens descended from one sign-in share a family; reuse of a rotated token revokes the family. */
  family_id: string
  token_hash: string
  created_at: number
  expires_at: number
  rotated_at: number | null
  revoked_at: number | null
}

export interface OtpCodesTable {
  phone: string
  /** Random id of this code, so a stale request cannot delete or consume its successor. */
  id: string
  /** HMAC of the code; '' once destroyed after too many wrong attempts. */
  code_hash: string
  attempts: number
  created_at: number
  expires_at: number
}

/**
 * Every status an SMS attempt can have, in the order a message goes through them; `unknown`: left `pending` by
 * a crash and its gateway could not say what became of it (src/sms/recovery.ts). A receipt still moves it on.
 */
export const SMS_STATUSES = [
  'pending',
  'queued',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'unknown',
] as const
export type SmsStatus = (typeof SMS_STATUSES)[number]

export interface SmsLogTable {
  /** Our message id: also the id passed to gateways that accept one. */
  id: string
  /** One send request may make several attempts (failover); they share this id. */
  request_id: string
  attempt: number
  phone: string
  country: string
  operator: string | null
  provider: string
  provider_message_id: string | null
  status: SmsStatus
  error_code: string | null
  error_message: string | null
  /** Parts the text is billed as, and how it is encoded (GSM-7 or UCS-2). */
  segments: number | null
  encoding: string | null
  /** What the attempt cost in `currency` (USD or UZS), and in dollars; null when no price is known. */
  cost: number | null
  currency: string | null
  cost_usd: number | null
  /** 'estimate' (price table) or 'provider' (the gateway reported it). */
  price_source: 'estimate' | 'provider' | null
  /** How long the gateway took to answer this attempt. */
  duration_ms: number | null
  created_at: number
  updated_at: number
  /** When the gateway accepted it, a receipt said delivered, or it failed (refused at send, or a receipt). */
  sent_at: number | null
  delivered_at: number | null
  failed_at: number | null
}

export interface SmsReceiptsTable {
  id: Generated<number>
  sms_log_id: string
  provider: string
  /** The status as the gateway wrote it (DELIVRD, delivered, Delivered…). */
  raw_status: string
  /** Mapped onto queued, sent, delivered, undelivered, failed. */
  status: SmsStatus
  error_code: string | null
  received_at: number
}

export type OtpEventKind = 'sent' | 'verified'

/** One code sent (the gateway accepted it) or verified; see migration 004. */
export interface OtpEventsTable {
  id: string
  kind: OtpEventKind
  phone: string
  country: string
  /** The client's address as the server saw it (TRUST_PROXY applies). */
  ip: string | null
  created_at: number
}

export type BlockReason = 'volume' | 'verify_rate' | 'manual'

export interface BlockedPrefixesTable {
  /** E.164 without its last PUMPING_PREFIX_DROP_DIGITS digits, e.g. +998901234 */
  prefix: string
  reason: BlockReason
  /** What the detector saw, for the operator: "31 codes in 3600 s". */
  detail: string
  /** 'auto' for the detector, otherwise who blocked it. */
  created_by: string
  created_at: number
  /** null: until removed. */
  expires_at: number | null
  /** Set when an operator lifts the block; the row stays as history. */
  removed_at: number | null
  removed_by: string | null
}

export interface Database {
  users: UsersTable
  refresh_tokens: RefreshTokensTable
  otp_codes: OtpCodesTable
  sms_log: SmsLogTable
  blocked_prefixes: BlockedPrefixesTable
  sms_receipts: SmsReceiptsTable
  otp_events: OtpEventsTable
}

export type User = Selectable<UsersTable>
export type NewSmsLog = Insertable<SmsLogTable>
export type SmsLog = Selectable<SmsLogTable>
export type BlockedPrefix = Selectable<BlockedPrefixesTable>
export type SmsReceipt = Selectable<SmsReceiptsTable>
