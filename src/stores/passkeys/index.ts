import type { App, ChallengePurpose, Passkey } from '../../db/schema.js'

export type { ChallengePurpose, Passkey }

/** A passkey as registration verified it (src/passkeys/service.ts). */
export interface NewPasskey {
  id: string
  userId: number
  credentialId: string
  publicKey: string
  counter: number
  transports: string[]
  userHandle: string
  deviceType: Passkey['device_type']
  backedUp: boolean
  aaguid: string
  name: string
}

/** Why `add` stored nothing: the credential is registered already, the user has the most allowed, or is gone. */
export type AddRefusal = 'duplicate' | 'full' | 'no_user'

/** A sign-in with a passkey, and the SMS it spared as its route would have priced it. */
export interface PasskeySignIn {
  id: string
  app: App
  country: string
  provider: string | null
  saved: { amount: number; currency: string; usd: number } | null
  at: number
}

/**
 * The users' passkeys, in the SQL database. Rows go with their user (ON DELETE CASCADE), so deleting an
 * account removes its passkeys with no call here.
 */
export interface PasskeyStore {
  /**
   * Stores a passkey, all or nothing: not when its credential id is registered already (to anyone), when the
   * user has `max` passkeys already (checked in the same step, so concurrent registrations cannot pass it),
   * or when the user no longer exists. Returns null when stored, else why not.
   */
  add(passkey: NewPasskey, max: number, now: number): Promise<AddRefusal | null>
  /** The user's passkeys, newest first. */
  list(userId: number): Promise<Passkey[]>
  /** The passkey with this credential id, whoever it belongs to. */
  byCredential(credentialId: string): Promise<Passkey | null>
  /**
   * Records a verified use: the counter moves to `counter` and `last_used_at` to `now`, only if the stored
   * counter is still `seen` (what the verification was checked against). Of two uses checked against the same
   * counter, one wins; false for the other.
   */
  use(id: string, seen: number, counter: number, now: number): Promise<boolean>
  /** Deletes the user's passkey `id`; false when the user has none by that id (unknown, or someone else's). */
  remove(userId: number, id: string): Promise<boolean>
  /** Counts a passkey sign-in for the Billing tab. */
  recordSignIn(signIn: PasskeySignIn): Promise<void>
}

/** A challenge handed out and not yet answered. */
export interface Challenge {
  purpose: ChallengePurpose
  /** Whose registration it is; null for a sign-in. */
  userId: number | null
  expiresAt: number
}

/**
 * WebAuthn challenges, shared by every instance (an answer may reach another instance than the options did):
 * in Redis when it is configured, else in the SQL database. Each is single-use: `take` removes it in the step
 * that reads it.
 */
export interface ChallengeStore {
  save(challenge: string, value: Challenge): Promise<void>
  /**
   * Removes the challenge and returns it if it was there and unexpired, as one atomic step: of several
   * concurrent answers carrying the same challenge, exactly one gets it; a replay gets null.
   */
  take(challenge: string, now: number): Promise<Challenge | null>
  /** Removes expired challenges; a no-op where the store expires them itself. */
  sweep(now: number): Promise<void>
}
