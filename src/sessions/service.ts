import { setImmediate } from 'node:timers/promises'
import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import { hmac, randomToken, safeEqual, timeOrderedId, timeOrderedIdFloor } from '../crypto.js'
import { AppError } from '../errors.js'
import type { NewToken, Presented, RefreshToken, SessionStore, User } from '../stores/sessions/index.js'

export const ACCESS_TOKEN_SECONDS = 15 * 60
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
const ISSUER = 'royal-taxi'
/** How long an expired refresh token's row is kept before the sweep removes it (see `sweep`). */
export const EXPIRED_TOKENS_KEPT_MS = 7 * 24 * 3600 * 1000
const SWEEP_CHUNK = 500
/** A refresh token is a 36-character row id, a dot and 32 random bytes in base64url (`newToken`). */
const ID_LENGTH = 36
const SECRET_BYTES = 32
const TOKEN_LENGTH = ID_LENGTH + 1 + Math.ceil((SECRET_BYTES * 4) / 3)

export interface Session {
  access_token: string
  refresh_token: string
  token_type: 'bearer'
  expires_in: number
}

export interface PublicUser {
  id: number
  phone: string
  full_name: string | null
  created_at: string
}

export function publicUser(u: User): PublicUser {
  return {
    id: u.id,
    phone: u.phone,
    full_name: u.full_name,
    created_at: new Date(u.created_at).toISOString(),
  }
}

export interface SessionServiceOptions {
  store: SessionStore
  /** The HS256 key access tokens are signed with (derived from SECRET_KEY for this purpose only). */
  accessKey: Uint8Array
  /** The HMAC key refresh tokens are stored under. */
  refreshKey: Buffer
}

/**
 * Access tokens are short-lived JWTs checked without a database read; refresh tokens are opaque random strings
 * stored only as HMACs, rotated on every use. A rotated token presented again means it was copied: the whole
 * family (every token descended from that sign-in) is revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
 */
export class SessionService {
  private readonly store: SessionStore
  private readonly sign: (claims: { sub: string }) => string
  private readonly verify: (token: string) => { sub?: unknown }
  private readonly refreshKey: Buffer

  /**
   * Access tokens through fast-jwt, which signs and checks synchronously with node:crypto; jose goes through
   * WebCrypto's thread pool, several times the CPU per token, and a token is made on every sign-in and refresh.
   */
  constructor(options: SessionServiceOptions) {
    this.store = options.store
    const key = Buffer.from(options.accessKey)
    this.sign = createSigner({ key, algorithm: 'HS256', iss: ISSUER, expiresIn: ACCESS_TOKEN_SECONDS * 1000 })
    this.verify = createVerifier({
      key,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      requiredClaims: ['exp'],
      cache: false,
    })
    this.refreshKey = options.refreshKey
  }

  /** Finds or creates the user for a verified number and opens a session (a new token family). */
  async signIn(phone: string): Promise<{ session: Session; user: User; isNew: boolean }> {
    const { token, values } = this.newToken(Date.now())
    const { user, isNew } = await this.store.signIn(phone, { ...values, familyId: timeOrderedId() })
    return { session: this.session(user.id, token), user, isNew }
  }

  async refresh(token: string): Promise<Session> {
    const now = Date.now()
    const old = this.presented(token)
    if (!old) throw new AppError('REFRESH_TOKEN_INVALID')
    // The usual case, a live token, at once; anything else is told apart below.
    const successor = this.newToken(now)
    const rotated = await this.store.rotate(old, successor.values)
    if (rotated) return this.session(rotated.userId, successor.token)
    const row = await this.rowOf(old)
    if (!row || row.revoked_at !== null) throw new AppError('REFRESH_TOKEN_INVALID')
    if (row.rotated_at === null && row.expires_at <= now) throw new AppError('REFRESH_TOKEN_EXPIRED')
    // Rotated already: presented a second time, so copied. (Live, yet not rotated above, can only be a
    // concurrent refresh with this same token that rotated it in between: reused too.)
    await this.store.revokeFamily(row.user_id, row.family_id, now)
    throw new AppError('REFRESH_TOKEN_REUSED')
  }

  /** Ends the session the token belongs to. Unknown tokens are ignored, as RFC 7009 §2.2 prescribes. */
  async logout(token: string): Promise<void> {
    const old = this.presented(token)
    const row = old && (await this.rowOf(old))
    if (row) await this.store.revokeFamily(row.user_id, row.family_id, Date.now())
  }

  /**
   * Returns the user id of a valid access token: HS256 only (not `none`, not another algorithm over the same
   * key), our issuer, unexpired. An expired token with a good signature is told apart.
   */
  async authenticate(accessToken: string): Promise<number> {
    let sub: unknown
    try {
      sub = this.verify(accessToken).sub
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired)
        throw new AppError('TOKEN_EXPIRED')
      throw new AppError('TOKEN_INVALID')
    }
    const id = Number(sub)
    if (typeof sub !== 'string' || !Number.isSafeInteger(id)) throw new AppError('TOKEN_INVALID')
    return id
  }

  async getUser(id: number): Promise<User | undefined> {
    return await this.store.user(id)
  }

  async updateUser(id: number, fields: { full_name: string | null }): Promise<User | undefined> {
    return await this.store.updateUser(id, fields, Date.now())
  }

  /**
   * Removes the refresh tokens that expired more than a week before `now`, rotated and revoked ones too; every
   * refresh inserts a row, so without this the table grows by one row per refresh forever. For that week
   * an expired token is still told apart (REFRESH_TOKEN_EXPIRED, or REUSED for a rotated one); after it, it
   * is unknown (REFRESH_TOKEN_INVALID): 401 all the same. Returns how many went.
   *
   * A token expires a fixed time after it is made and its id sorts by when it was made (`timeOrderedId`),
   * so the expired ones are a range of the primary key: no index on the expiry, which every refresh would
   * have to write. The expiry is checked as well, so a lifetime made longer later never removes a live
   * token. In chunks, with the event loop free in between, so the database is never held long.
   */
  async sweep(now: number): Promise<number> {
    const expiredBefore = now - EXPIRED_TOKENS_KEPT_MS
    const madeBefore = timeOrderedIdFloor(expiredBefore - REFRESH_TOKEN_SECONDS * 1000 + 1)
    let removed = 0
    for (;;) {
      const chunk = await this.store.sweep(madeBefore, expiredBefore, SWEEP_CHUNK)
      removed += chunk
      if (chunk < SWEEP_CHUNK) return removed
      await setImmediate()
    }
  }

  /** The row a presented refresh token names and the HMAC it must match, or null if it is not one of ours. */
  private presented(token: string): Presented | null {
    if (token.length !== TOKEN_LENGTH || token[ID_LENGTH] !== '.') return null
    return { id: token.slice(0, ID_LENGTH), hash: hmac(this.refreshKey, token) }
  }

  /** The row a presented token names, if it holds the token's HMAC (compared in constant time). */
  private async rowOf(old: Presented): Promise<RefreshToken | undefined> {
    const row = await this.store.token(old.id)
    return row && safeEqual(row.token_hash, old.hash) ? row : undefined
  }

  private session(userId: number, refreshToken: string): Session {
    return {
      access_token: this.sign({ sub: String(userId) }),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
    }
  }

  /**
   * A new refresh token made at `now`: what the client gets, and what its row stores (only the HMAC).
   *
   * The token is `<row id>.<32 random bytes>`, a split token: the id finds the row by its primary key, and
   * the row's HMAC of the whole token must match. The id says when the token was made; the random part is
   * the secret.
   */
  private newToken(now: number): { token: string; values: NewToken } {
    const id = timeOrderedId()
    const token = `${id}.${randomToken(SECRET_BYTES)}`
    return {
      token,
      values: {
        id,
        hash: hmac(this.refreshKey, token),
        createdAt: now,
        expiresAt: now + REFRESH_TOKEN_SECONDS * 1000,
      },
    }
  }
}
