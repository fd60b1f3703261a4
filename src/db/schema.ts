import type { Generated, Insertable, Selectable } from 'kysely'

/** The two apps one signs in to; a session's app is the role of the access tokens it yields. */
export type App = 'passenger' | 'driver'

/** What a session was opened on. */
export type Platform = 'android' | 'ios' | 'web' | 'other'

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
  /** The app the session signed in to: its access tokens carry it as their role. */
  app: Generated<App>
  /** The device the session was opened on (null for sessions from before migration 011). */
  device_name: string | null
  platform: Platform | null
  /** The country of the request that made this token, when a trusted proxy said (COUNTRY_HEADER). */
  country: string | null
  /** When the session (the family's first token) was made; copied on every rotation. */
  started_at: number | null
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
  /** What carried it: an SMS or a Telegram message (migration 009). */
  channel: Generated<'sms' | 'telegram'>
  /** Why it was made: null for a code's first attempt, after an `error`, or after no `delivery` report. */
  fallback: 'error' | 'delivery' | null
}

/** Where a code whose route waits for a delivery report stands (migration 009, docs/TELEGRAM.md). */
export type DeliveryState = 'waiting' | 'sending' | 'delivered' | 'fell_back' | 'expired' | 'failed'

export interface SmsDeliveriesTable {
  /** The SMS log's request id. */
  id: string
  phone: string
  code_id: string
  channel: 'sms' | null
  /** The code and text, sealed with a key derived from SECRET_KEY; null once no longer needed. */
  sealed: string | null
  watched_log_id: string
  next_step: number
  attempts: number
  state: DeliveryState
  due_at: number
  claimed_until: number | null
  expires_at: number
  created_at: number
  updated_at: number
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

/** Who put a number on the driver roster: the admin API, `royal-taxi drivers add`, or a CSV import. */
export type DriverSource = 'admin' | 'cli' | 'import'

/** The driver roster (migration 008): a number here may sign in with the driver app. */
export interface DriversTable {
  /** E.164, e.g. +998901234567 */
  phone: string
  /** As the fleet knows the driver; shown in the console, never sent to the driver. */
  name: string | null
  added_by: DriverSource
  created_at: number
}

/** What a signing key signs with: Ed25519 (EdDSA) or ECDSA P-256 (ES256). */
export type SigningAlgorithm = 'EdDSA' | 'ES256'

/** A key access tokens are signed with (migration 010, src/tokens/keys.ts). */
export interface SigningKeysTable {
  /** The key's RFC 7638 thumbprint: the `kid` of its tokens and of its entry in the JWKS. */
  kid: string
  alg: SigningAlgorithm
  /** The public JWK as JSON text (kty, crv, x, y). */
  public_jwk: string
  /** The PKCS#8 private key, AES-256-GCM under deriveKey(SECRET_KEY, 'signing-keys'): base64url iv‖ciphertext‖tag. */
  private_sealed: string
  created_at: number
  /** null while current; set when a newer key is made. Published until every token it signed has expired. */
  retired_at: number | null
}

/** A passkey (migration 012, src/passkeys/): one WebAuthn credential of a user, removed with the user. */
export interface PasskeysTable {
  /** Our id for it (the API's), not the credential id. */
  id: string
  user_id: number
  /** The credential id, base64url: what an authenticator names in its assertion. */
  credential_id: string
  /** The COSE public key, base64url. */
  public_key: string
  /** The authenticator's signature counter at its last use; 0 for authenticators that keep none. */
  counter: number
  /** The transports the browser reported (JSON array of strings). */
  transports: string
  /** The WebAuthn user handle given at registration, base64url: a discoverable assertion returns it. */
  user_handle: string
  device_type: 'singleDevice' | 'multiDevice'
  /** 1 when the credential is backed up (synced), else 0. */
  backed_up: number
  aaguid: string
  /** What the user sees in their list: the name they gave, else the device it was made on. */
  name: string
  created_at: number
  last_used_at: number | null
}

/** Why a challenge was handed out: to register a passkey (for one user) or to sign in with one. */
export type ChallengePurpose = 'register' | 'authenticate'

/** A WebAuthn challenge not yet answered (migration 012), when Redis does not hold them. */
export interface PasskeyChallengesTable {
  /** The challenge itself, base64url. */
  challenge: string
  purpose: ChallengePurpose
  /** Whose registration it is; null for a sign-in. */
  user_id: number | null
  expires_at: number
}

/** A sign-in with a passkey (migration 012): the code SMS it spared, priced as its route would have charged. */
export interface PasskeySignInsTable {
  id: string
  app: App
  /** The number's country: the route the SMS would have taken. */
  country: string
  /** The route's first SMS provider; null when none is configured. */
  provider: string | null
  /** The price of that SMS, in `currency`, and in dollars; null when no price is known. */
  saved: number | null
  currency: string | null
  saved_usd: number | null
  created_at: number
}

export interface Database {
  users: UsersTable
  refresh_tokens: RefreshTokensTable
  otp_codes: OtpCodesTable
  sms_log: SmsLogTable
  blocked_prefixes: BlockedPrefixesTable
  sms_receipts: SmsReceiptsTable
  sms_deliveries: SmsDeliveriesTable
  otp_events: OtpEventsTable
  drivers: DriversTable
  signing_keys: SigningKeysTable
  passkeys: PasskeysTable
  passkey_challenges: PasskeyChallengesTable
  passkey_sign_ins: PasskeySignInsTable
}

export type User = Selectable<UsersTable>
export type NewSmsLog = Insertable<SmsLogTable>
export type SmsLog = Selectable<SmsLogTable>
export type BlockedPrefix = Selectable<BlockedPrefixesTable>
export type SmsReceipt = Selectable<SmsReceiptsTable>
export type Driver = Selectable<DriversTable>
export type SigningKey = Selectable<SigningKeysTable>
export type Passkey = Selectable<PasskeysTable>
