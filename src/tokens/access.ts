import type { KeyObject } from 'node:crypto'
import { randomUUID } from 'node:crypto'
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import type { App } from '../db/schema.js'
import { AppError } from '../errors.js'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './key-pairs.js'

/** The signing keys as the tokens need them: the key that signs now, and every published one by its kid. */
export interface SigningKeys {
  current(): { kid: string; alg: SigningAlgorithm; privateKey: KeyObject }
  publicKey(kid: string): { alg: SigningAlgorithm; key: KeyObject } | undefined
}

export interface AccessTokenSettings {
  issuer: string
  audience: string
  accessTokenSeconds: number
}

/**
 * Who an access token names: the user (its `sub`), the number it signed in with, the app (its role) and the
 * session it belongs to (its `sid`: the refresh-token family, so a user can tell their current session).
 */
export interface Bearer {
  userId: number
  phone: string
  role: App
  sessionId: string
}

const ROLES: readonly string[] = ['passenger', 'driver'] satisfies App[]

/** A key the token's header names that we do not publish (or for another algorithm). */
class UnknownKey extends Error {}

/**
 * Access tokens other services check with our published keys alone (/.well-known/jwks.json): signed with
 * the key ring's current key, its `kid` in the header; checked against any key still published. Only the
 * asymmetric algorithms are accepted: `none`, and HS256 made with a public key as its secret, are refused
 * before any key is looked at, and so are the HS256 tokens of earlier versions.
 */
export class AccessTokens {
  constructor(
    private readonly keys: SigningKeys,
    private readonly settings: AccessTokenSettings,
  ) {}

  get lifetimeSeconds(): number {
    return this.settings.accessTokenSeconds
  }

  async sign(bearer: Bearer): Promise<string> {
    const { kid, alg, privateKey } = this.keys.current()
    const now = Math.floor(Date.now() / 1000)
    return await new SignJWT({ phone: bearer.phone, role: bearer.role, sid: bearer.sessionId })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(String(bearer.userId))
      .setIssuedAt(now)
      .setExpirationTime(now + this.settings.accessTokenSeconds)
      .setJti(randomUUID())
      .sign(privateKey)
  }

  /**
   * Who a valid token names. 401 TOKEN_EXPIRED for an expired token with a good signature, 401
   * TOKEN_INVALID for anything else (tampered, another issuer or audience, an unknown key, a refused
   * algorithm, a claim missing or malformed).
   */
  async verify(token: string): Promise<Bearer> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(
        token,
        ({ kid, alg }) => {
          const published = kid === undefined ? undefined : this.keys.publicKey(kid)
          if (!published || published.alg !== alg) throw new UnknownKey()
          return published.key
        },
        {
          issuer: this.settings.issuer,
          audience: this.settings.audience,
          algorithms: [...SIGNING_ALGORITHMS],
          requiredClaims: ['sub', 'iat', 'exp', 'jti'],
        },
      ))
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED')
      throw new AppError('TOKEN_INVALID')
    }
    const userId = Number(payload.sub)
    const { phone, role, sid } = payload
    if (!Number.isSafeInteger(userId) || typeof phone !== 'string' || typeof sid !== 'string')
      throw new AppError('TOKEN_INVALID')
    if (typeof role !== 'string' || !ROLES.includes(role)) throw new AppError('TOKEN_INVALID')
    return { userId, phone, role: role as App, sessionId: sid }
  }
}
