import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import { deriveKey } from '../crypto.js'
import type { NewSigningKey, SigningAlgorithm, SigningKey, SigningKeyStore } from '../stores/keys/index.js'

export type { SigningAlgorithm }
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const satisfies readonly SigningAlgorithm[]

/** How often every instance reads the keys again: a rotation reaches all of them within this time. */
export const RELOAD_MS = 30_000
/** Room for clocks that disagree between instances (and the database's host). */
const CLOCK_MARGIN_MS = 60_000

/**
 * Until when a key retired at `retiredAt` stays published. Instances may go on signing with it until their
 * next reload (RELOAD_MS), and each token so signed lives `accessTokenSeconds`; the margin covers clocks that
 * disagree. Every instance and `royal-taxi keys` compute the same time from the same row.
 */
export function publishedUntil(retiredAt: number, accessTokenSeconds: number): number {
  return retiredAt + accessTokenSeconds * 1000 + RELOAD_MS + CLOCK_MARGIN_MS
}

export type KeyState = { state: 'current' } | { state: 'previous'; until: number } | { state: 'expired' }

export function keyState(key: SigningKey, now: number, accessTokenSeconds: number): KeyState {
  if (key.retired_at === null) return { state: 'current' }
  const until = publishedUntil(key.retired_at, accessTokenSeconds)
  return until > now ? { state: 'previous', until } : { state: 'expired' }
}

/** The key the private halves are sealed with: derived for this purpose only, so it opens nothing else. */
export const sealingKey = (secret: string): Buffer => deriveKey(secret, 'signing-keys')

const IV_BYTES = 12
const TAG_BYTES = 16

/** base64url of iv ‖ ciphertext ‖ tag of the PKCS#8 key; the kid is bound in, so seals cannot be swapped. */
function seal(key: Buffer, kid: string, privateKey: KeyObject): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(kid))
  const der = privateKey.export({ format: 'der', type: 'pkcs8' })
  const body = Buffer.concat([cipher.update(der), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** A key that does not open with this SECRET_KEY (another one sealed it, or the row was altered). */
export class UnsealError extends Error {
  override name = 'UnsealError'
}

export function unsealPrivateKey(key: Buffer, row: Pick<SigningKey, 'kid' | 'private_sealed'>): KeyObject {
  const raw = Buffer.from(row.private_sealed, 'base64url')
  let der: Buffer
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(row.kid))
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    der = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()])
  } catch (err) {
    // GCM's tag check is the only thing that can fail here: the key (SECRET_KEY) or the row is not the one
    // that sealed it. Never a half-decrypted key.
    throw new UnsealError(`signing key ${row.kid} cannot be decrypted with this SECRET_KEY`, { cause: err })
  }
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
}

/**
 * The public members of a JWK as published, whatever the stored text holds: only the curve and its point,
 * so a private member (`d`) can never reach the JWKS, even from a row written by hand.
 */
export function publicJwk(row: Pick<SigningKey, 'kid' | 'alg' | 'public_jwk'>): JsonWebKey {
  const { kty, crv, x, y } = JSON.parse(row.public_jwk) as JsonWebKey
  return { kty, crv, x, ...(y === undefined ? {} : { y }), kid: row.kid, alg: row.alg, use: 'sig' }
}

/** A new key pair as stored: its kid is the RFC 7638 thumbprint of its public key. */
export async function makeSigningKey(alg: SigningAlgorithm, sealWith: Buffer): Promise<NewSigningKey> {
  const { publicKey, privateKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
  const jwk = { kty, crv, x, ...(y === undefined ? {} : { y }) }
  const kid = await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256')
  return { kid, alg, publicJwk: JSON.stringify(jwk), sealedPrivate: seal(sealWith, kid, privateKey) }
}

export interface RotationOutcome {
  created: string
  retired: string[]
  dropped: string[]
}

/**
 * Makes a new current key, retiring the one before (published until its tokens have expired), and deletes
 * the keys whose publication is over. What `royal-taxi keys rotate` does; running instances follow at their
 * next reload.
 */
export async function rotateKeys(options: {
  store: SigningKeyStore
  secret: string
  algorithm: SigningAlgorithm
  accessTokenSeconds: number
  now?: number
}): Promise<RotationOutcome> {
  const now = options.now ?? Date.now()
  const { store, accessTokenSeconds } = options
  const dropped = await dropExpired(store, now, accessTokenSeconds)
  const key = await makeSigningKey(options.algorithm, sealingKey(options.secret))
  const retired = await store.rotate(key, now)
  return { created: key.kid, retired, dropped }
}

/** Deletes the retired keys whose publication ended at or before `now`. */
export function dropExpired(store: SigningKeyStore, now: number, accessTokenSeconds: number) {
  // publishedUntil(retiredAt) <= now, solved for retiredAt: the window is the same length for every key.
  return store.dropRetired(now - publishedUntil(0, accessTokenSeconds))
}
