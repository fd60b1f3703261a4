import { setImmediate } from 'node:timers/promises'
import { hmac, randomToken, safeEqual, timeOrderedId, timeOrderedIdFloor } from '../crypto.js'
import { AppError } from '../errors.js'
import type { DriverStore } from '../stores/drivers/index.js'
import type { App, NewToken, Presented, RefreshToken, SessionStore, User } from '../stores/sessions/index.js'
import type { AccessTokens, Bearer } from '../tokens/access.js'
import type { Device } from './device.js'

export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
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
  /** The apps the user may sign in to: passenger always, driver while the number is on the roster. */
  roles: App[]
  /** The app of the access token the request came with. */
  role: App
}

export interface SessionServiceOptions {
  store: SessionStore
  /** Signs and checks access tokens (src/tokens/access.ts). */
  tokens: AccessTokens
  /** The driver roster: only a number on it signs in to the driver app. */
  drivers: Pick<DriverStore, 'has'>
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
  private readonly tokens: AccessTokens
  private readonly drivers: Pick<DriverStore, 'has'>
  private readonly refreshKey: Buffer

  constructor(options: SessionServiceOptions) {
    this.store = options.store
    this.tokens = options.tokens
    this.drivers = options.drivers
    this.refreshKey = options.refreshKey
  }

  /**
   * Finds or creates the user for a verified number and opens a session (a new token family) in `app`.
   * The driver app admits only numbers on the roster: 403 DRIVER_NOT_REGISTERED, no user and no session.
   */
  async signIn(
    phone: string,
    app: App,
    device: Device,
  ): Promise<{ session: Session; user: User; isNew: boolean }> {
    if (app === 'driver' && !(await this.drivers.has(phone))) throw new AppError('DRIVER_NOT_REGISTERED')
    const { token, values } = this.newToken(Date.now(), device.country)
    const familyId = timeOrderedId()
    const { user, isNew } = await this.store.signIn(phone, { ...values, familyId, app, device })
    const bearer = { userId: user.id, phone: user.phone, role: app, sessionId: familyId }
    return { session: await this.session(bearer, token), user, isNew }
  }

  /** A new pair for a live refresh token; `country` is where the request came from, when known. */
  async refresh(token: string, country: string | null = null): Promise<Session> {
    const now = Date.now()
    const old = this.presented(token)
    if (!old) throw new AppError('REFRESH_TOKEN_INVALID')
    // The usual case, a live token, at once; anything else is told apart below.
    const successor = this.newToken(now, country)
    const rotated = await this.store.rotate(old, successor.values)
    if (rotated) {
      const { userId, phone, app: role, familyId: sessionId } = rotated
      return await this.session({ userId, phone, role, sessionId }, successor.token)
    }
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

  /** Who a valid access token names (401 TOKEN_EXPIRED or TOKEN_INVALID otherwise; src/tokens/access.ts). */
  async authenticate(accessToken: string): Promise<Bearer> {
    return await this.tokens.verify(accessToken)
  }

  /**
   * Ends every session of the number in `app` at once: their refresh tokens fail from now on (access
   * tokens already issued run out within their lifetime). Removing a driver from the roster does this.
   */
  async revokeApp(phone: string, app: App): Promise<number> {
    return await this.store.revokeApp(phone, app, Date.now())
  }

  /** The user as the API shows it, with the apps they may use and the app of the token in hand. */
  async publicUser(user: User, role: App): Promise<PublicUser> {
    const roles: App[] = (await this.drivers.has(user.phone)) ? ['passenger', 'driver'] : ['passenger']
    return {
      id: user.id,
      phone: user.phone,
      full_name: user.full_name,
      created_at: new Date(user.created_at).toISOString(),
      roles,
      role,
    }
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

  private async session(bearer: Bearer, refreshToken: string): Promise<Session> {
    return {
      access_token: await this.tokens.sign(bearer),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: this.tokens.lifetimeSeconds,
    }
  }

  /**
   * A new refresh token made at `now`: what the client gets, and what its row stores (only the HMAC).
   *
   * The token is `<row id>.<32 random bytes>`, a split token: the id finds the row by its primary key, and
   * the row's HMAC of the whole token must match. The id says when the token was made; the random part is
   * the secret.
   */
  private newToken(now: number, country: string | null): { token: string; values: NewToken } {
    const id = timeOrderedId()
    const token = `${id}.${randomToken(SECRET_BYTES)}`
    return {
      token,
      values: {
        id,
        hash: hmac(this.refreshKey, token),
        createdAt: now,
        expiresAt: now + REFRESH_TOKEN_SECONDS * 1000,
        country,
      },
    }
  }
}
