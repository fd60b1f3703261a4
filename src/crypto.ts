import {
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto'

/**
 * Derives an independent 32-byte key per purpose from SECRET_KEY (HKDF-SHA256), so a key leaked from one use
 * (say, token signing) tells nothing about another (code hashing).
 */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'royal-taxi', purpose, 32))
}

export function hmac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url')
}

/** Constant-time comparison of two strings; different lengths compare unequal without leaking where. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

const sha256 = (s: string) => createHash('sha256').update(s).digest()

/**
 * Constant-time comparison of two secrets of any length (admin, metrics and webhook tokens): both are hashed
 * first, so not even the expected length leaks.
 */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected))
}

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined
}

/** A numeric code from the CSPRNG, each digit uniform (randomInt rejects modulo bias). */
export function randomDigits(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += randomInt(10).toString()
  return out
}

/** A random token of `bytes` bytes from the CSPRNG, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

let idMillis = -1
let idPrefix = ''

/** Sorts after every `timeOrderedId` made before `ms` and before every one made at or after it. */
export function timeOrderedIdFloor(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8)}`
}

/**
 * A row key that sorts by the time it was made (UUIDv7, RFC 9562: 48 bits of Unix milliseconds, then 74
 * random bits). An index takes it at its end, on a page the batch has already dirtied, where a random UUID
 * lands on a page of its own: one more page for every commit to write and every checkpoint to copy, a cost
 * that grows with the table. It tells when it was made, so it keys internal rows only. The random part is
 * the tail of `randomUUID()`.
 */
export function timeOrderedId(now = Date.now()): string {
  if (now !== idMillis) {
    idMillis = now
    idPrefix = `${timeOrderedIdFloor(now)}-7`
  }
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx; its RFC variant (N) is also v7's.
  return idPrefix + randomUUID().slice(15)
}
