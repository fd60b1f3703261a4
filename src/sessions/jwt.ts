import { timingSafeEqual } from 'node:crypto'
import { hmac } from '../crypto.js'

// Access tokens: JWTs (RFC 7519) signed with HMAC-SHA256 (JWS, RFC 7515), made and checked with node:crypto.
//
// Why not jose, which the service used before: jose 6 signs only through WebCrypto, whose every operation is an
// asynchronous job on libuv's thread pool. Under load on two cores each signature cost ~100 µs of CPU in all
// (the job's hand-offs, and the extra turns of the event loop it splits a request into, each with its own
// group commit), where an HMAC is 1.5 µs: sign-in went from 2,700 to 4,250 requests a second, refresh from
// 4,800 to 8,600 (docs/SCALING.md). HS256 is one HMAC; the tests check these tokens against jose both ways.

/** What our access tokens carry (RFC 7519 §4.1). */
export interface AccessClaims {
  sub: string
  iss: string
  iat: number
  exp: number
}

/** Why a token is refused; a token that is well signed but expired is told apart. */
export type Refusal = 'invalid' | 'expired'

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
/** A segment as RFC 7515 writes it: base64url without padding. */
const SEGMENT = /^[A-Za-z0-9_-]*$/

export class Hs256 {
  constructor(private readonly key: Buffer) {}

  sign(claims: AccessClaims): string {
    const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
    return `${input}.${this.mac(input)}`
  }

  /**
   * The claims of a token signed with this key, unexpired and from `issuer`, or why it is refused. Only
   * HS256 is accepted (not `none`, not another algorithm over the same key), nor a header that asks for an
   * extension (`crit`); the signature is compared in constant time; `exp` is required, and `nbf`, when
   * present, must have passed.
   */
  verify(token: string, issuer: string, now = Date.now()): Record<string, unknown> | Refusal {
    const parts = token.split('.')
    if (parts.length !== 3) return 'invalid'
    const [header, payload, signature] = parts as [string, string, string]
    if (!SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) return 'invalid'
    const head = parseObject(header)
    if (head?.alg !== 'HS256' || 'crit' in head || ('typ' in head && head.typ !== 'JWT')) return 'invalid'
    const expected = Buffer.from(this.mac(`${header}.${payload}`))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid'
    const claims = parseObject(payload)
    if (!claims || claims.iss !== issuer) return 'invalid'
    const seconds = Math.floor(now / 1000)
    const { exp, nbf, iat } = claims
    if (typeof exp !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) return 'invalid'
    if (iat !== undefined && typeof iat !== 'number') return 'invalid'
    if (typeof nbf === 'number' && nbf > seconds) return 'invalid'
    if (exp <= seconds) return 'expired'
    return claims
  }

  private mac(input: string): string {
    return hmac(this.key, input)
  }
}

/** A base64url segment's JSON object, or null for anything else. */
function parseObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}
