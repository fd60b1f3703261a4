import { AppError } from '../errors.js'
import type { App, LiveSession, Platform, SessionStore, User } from '../stores/sessions/index.js'
import type { Bearer } from '../tokens/access.js'

/** A session as the API shows it to its user. */
export interface PublicSession {
  id: string
  device_name: string
  platform: Platform | null
  app: App
  country: string | null
  created_at: string
  last_used_at: string
  current: boolean
}

/**
 * A number as the SMS log keeps it once its account is deleted: the country and operator prefix and the last
 * two digits (`+99890*****67`), enough for the per-prefix figures and for support to match a complaint,
 * not enough to call anyone.
 */
export function maskedPhone(phone: string): string {
  if (phone.length <= 8) return `${phone.slice(0, 3)}${'*'.repeat(Math.max(phone.length - 3, 0))}`
  return `${phone.slice(0, 6)}${'*'.repeat(phone.length - 8)}${phone.slice(-2)}`
}

/**
 * What a signed-in user does with their account: see and end their sessions, move to a new number, delete
 * the account. Proving the new number or the account's number with a code is the routes' part (OtpService);
 * here each change is one all-or-nothing step of the session store.
 */
export class AccountService {
  constructor(private readonly store: SessionStore) {}

  /** The user's live sessions, the most recently used first, the one `bearer` belongs to marked. */
  async sessions(bearer: Bearer): Promise<PublicSession[]> {
    const sessions = await this.store.sessions(bearer.userId, Date.now())
    return sessions.map((s) => publicSession(s, s.id === bearer.sessionId))
  }

  /**
   * Ends one of the user's sessions: its refresh token fails at once. 404 SESSION_NOT_FOUND for a session
   * that is not theirs, or not live: whether another user's session exists is not ours to tell.
   */
  async endSession(bearer: Bearer, id: string): Promise<void> {
    if ((await this.store.revokeFamily(bearer.userId, id, Date.now())) === 0)
      throw new AppError('SESSION_NOT_FOUND')
  }

  /** Ends every session of the user, or every one but the current; returns how many ended. */
  async endAll(bearer: Bearer, keepCurrent: boolean): Promise<number> {
    const now = Date.now()
    const keep = keepCurrent ? bearer.sessionId : null
    const live = (await this.store.sessions(bearer.userId, now)).filter((s) => s.id !== keep)
    await this.store.revokeAll(bearer.userId, keep, now)
    return live.length
  }

  /** 422 PHONE_UNCHANGED for the account's own number, 409 PHONE_TAKEN for another account's. */
  async checkNewPhone(user: User, phone: string): Promise<void> {
    if (phone === user.phone) throw new AppError('PHONE_UNCHANGED')
    if (await this.store.userByPhone(phone)) throw new AppError('PHONE_TAKEN')
  }

  /** The user a valid token names; 401 TOKEN_INVALID once the account is gone. */
  async user(bearer: Bearer): Promise<User> {
    const user = await this.store.user(bearer.userId)
    if (!user) throw new AppError('TOKEN_INVALID')
    return user
  }

  /** The account of a number, for support staff (`royal-taxi users delete`). */
  async userByPhone(phone: string): Promise<User | undefined> {
    return await this.store.userByPhone(phone)
  }

  /**
   * Moves the account to `phone` (already proved with a code) and ends every other session. The driver
   * roster does not follow: a driver's number is the company's business (docs/ACCOUNTS.md).
   */
  async changePhone(bearer: Bearer, phone: string): Promise<void> {
    const outcome = await this.store.changePhone(bearer.userId, phone, bearer.sessionId, Date.now())
    if (outcome === 'taken') throw new AppError('PHONE_TAKEN')
    if (outcome === 'gone') throw new AppError('TOKEN_INVALID')
  }

  /** Deletes the account (its sessions and passkeys with it) and masks its number in the SMS log. */
  async delete(user: User): Promise<void> {
    if (!(await this.store.deleteUser(user.id, maskedPhone(user.phone)))) throw new AppError('TOKEN_INVALID')
  }
}

function publicSession(s: LiveSession, current: boolean): PublicSession {
  return {
    id: s.id,
    device_name: s.deviceName ?? 'Unknown device',
    platform: s.platform,
    app: s.app,
    country: s.country,
    created_at: new Date(s.startedAt).toISOString(),
    last_used_at: new Date(s.lastUsedAt).toISOString(),
    current,
  }
}
