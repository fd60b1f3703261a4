import type { SigningAlgorithm, SigningKey } from '../../db/schema.js'

export type { SigningAlgorithm, SigningKey }

/** A key pair as it is stored: the public half as a JWK, the private half sealed (src/tokens/seal.ts). */
export interface NewSigningKey {
  kid: string
  alg: SigningAlgorithm
  /** The public JWK as JSON text (kty, crv, x, y): published as it is. */
  publicJwk: string
  /** The private key, AES-256-GCM under a key derived from SECRET_KEY. */
  sealedPrivate: string
}

/**
 * The keys access tokens are signed with, shared by every instance. At most one key is current (not
 * retired): the database holds that promise (a unique index over the unretired rows), so instances that race
 * to make the first key, or two rotations at once, can never leave two current keys behind.
 */
export interface SigningKeyStore {
  /** Every key, current and retired, newest first. */
  list(): Promise<SigningKey[]>
  /**
   * Stores the first key unless a current key already exists (another instance made one first): false then,
   * and nothing is written.
   */
  createFirst(key: NewSigningKey, now?: number): Promise<boolean>
  /** Retires the current key and makes `key` current, all or nothing. Returns the kids retired. */
  rotate(key: NewSigningKey, now?: number): Promise<string[]>
  /** Deletes the keys retired at or before `retiredBefore`, returning their kids. */
  dropRetired(retiredBefore: number): Promise<string[]>
}
