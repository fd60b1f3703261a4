import {
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  randomFillSync,
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

/** Random bytes for tokens, drawn from the CSPRNG 4 KB at a time and each handed out once. */
const pool = Buffer.allocUnsafeSlow(4096)
let pooled = 0

/**
 * A random token of `bytes` bytes, base64url. One `randomBytes` call per token cost 2–13 µs (a call into
 * OpenSSL each time; the most in a busy server), a tenth of a refresh: like Node's own `randomUUID`, the
 * bytes are drawn in bulk instead, 128 tokens' worth per call.
 */
export function randomToken(bytes = 32): string {
  if (bytes > pool.length) return randomBytes(bytes).toString('base64url')
  if (pooled < bytes) {
    randomFillSync(pool)
    pooled = pool.length
  }
  const start = pool.length - pooled
  pooled -= bytes
  return pool.toString('base64url', start, start + bytes)
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
 * that grows with the table (docs/SCALING.md). It tells when it was made, so it keys internal rows only.
 *
 * The random part is the tail of `randomUUID()`, whose randomness Node draws in bulk (~35 ns a call); the
 * uuid package draws 16 fresh bytes for every v7 (~1.5 µs).
 */
export function timeOrderedId(now = Date.now()): string {
  if (now !== idMillis) {
    idMillis = now
    idPrefix = `${timeOrderedIdFloor(now)}-7`
  }
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx; its RFC variant (N) is also v7's.
  return idPrefix + randomUUID().slice(15)
}
