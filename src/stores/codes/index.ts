/** A pending code as stored: its random id, the HMAC of the number and code, and when it expires. */
export interface PendingCode {
  id: string
  hash: string
  expiresAt: number
}

/**
 * What checking a code found: no code (or an expired one), a code whose attempts were used up before this
 * one, the right code (now deleted), or a wrong one with the attempts it leaves (at 0 the code is burnt).
 */
export type Check =
  | { kind: 'none' }
  | { kind: 'exhausted' }
  | { kind: 'right' }
  | { kind: 'wrong'; attemptsLeft: number }

/**
 * Where pending codes live, one per number. Every operation is atomic in the store itself, because several
 * requests (or instances) may touch the same number at once.
 */
export interface CodeStore {
  /** Saves a code for the number, replacing any previous one. */
  save(phone: string, code: PendingCode): Promise<void>
  /**
   * Compares `hash` with the number's code in constant time, as one atomic step: an attempt is counted
   * before the comparison, so no more than `maxAttempts` comparisons ever happen even when many guesses
   * arrive at once; a right code is deleted (exactly one of several concurrent right guesses gets `right`);
   * the last wrong attempt destroys the code's hash, and the code remembers for its lifetime that its
   * attempts are used up.
   */
  check(phone: string, hash: string, maxAttempts: number, now: number): Promise<Check>
  /** Deletes the code if it is still `id` (a send that failed removes its own code, never a newer one). */
  take(phone: string, id: string): Promise<boolean>
  /**
   * Whether `id` is still the number's code, unexpired and not burnt: a code verified, replaced or spent
   * meanwhile is not sent again by a delivery fallback.
   */
  isLive(phone: string, id: string, now: number): Promise<boolean>
  /** Removes expired codes; a no-op where the store expires them itself. */
  sweep(now: number): Promise<void>
}
