import type { OtpEventKind } from '../../db/schema.js'

export type { OtpEventKind }

/** One code sent (the gateway accepted it) or verified; see migration 004. */
export interface OtpEvent {
  id: string
  kind: OtpEventKind
  phone: string
  country: string
  /** The client's address as the server saw it (TRUST_PROXY applies). */
  ip: string | null
  created_at: number
}

/** The record of codes sent and verified that the admin console's statistics read (otp_events). */
export interface StatsStore {
  /** Writes `events`, all or none. */
  add(events: readonly OtpEvent[]): Promise<void>
}
