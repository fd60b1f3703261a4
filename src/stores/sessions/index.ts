import type { Selectable } from 'kysely'
import type { App, Platform, RefreshTokensTable, User } from '../../db/schema.js'

export type { App, Platform, User } from '../../db/schema.js'
export type RefreshToken = Selectable<RefreshTokensTable>

/** A refresh token to store: its row id, the HMAC it is stored as, and when it was made and expires. */
export interface NewToken {
  id: string
  hash: string
  createdAt: number
  expiresAt: number
  /** The country the request came from, when known: the session's "last seen in". */
  country?: string | null
}

/** What a session was opened on: its own name, or one made from the User-Agent. */
export interface SessionDevice {
  name: string
  platform: Platform
}

/** The first token of a sign-in: a new family (the session), for one app, on one device. */
export type FirstToken = NewToken & { familyId: string; app: App; device: SessionDevice }

/** A rotated token's session: whose it is, its family and app, and the user's number (for the claims). */
export interface Rotated {
  userId: number
  familyId: string
  app: App
  phone: string
}

/** A session as its user sees it: one family with a live token. */
export interface LiveSession {
  /** The family id: the session's id in the API and the `sid` claim of its access tokens. */
  id: string
  app: App
  deviceName: string | null
  platform: Platform | null
  country: string | null
  startedAt: number
  lastUsedAt: number
}

/** A refresh token as presented: the row it names, and the HMAC that row must hold. */
export interface Presented {
  id: string
  hash: string
}

/**
 * Users and their sessions. A session is a family of refresh tokens (every token descended from one sign-in);
 * each write that must be all or nothing is one operation here.
 */
export interface SessionStore {
  /**
   * Finds or creates the user of a verified number (created at `token.createdAt`) and stores its first
   * refresh token in a new family, all or nothing. Of concurrent first sign-ins of one number, exactly one
   * is told the user is new.
   */
  signIn(phone: string, token: FirstToken): Promise<{ user: User; isNew: boolean }>
  /**
   * Marks the presented token rotated and stores its successor in the same family (same app and device),
   * all or nothing, if the token is live at `successor.createdAt`: its id and hash both match, and it is not
   * rotated, revoked or expired. Null when it is not (of concurrent rotations of one token exactly one gets
   * its successor).
   */
  rotate(presented: Presented, successor: NewToken): Promise<Rotated | null>
  /** The token row with this id, whatever its state. */
  token(id: string): Promise<RefreshToken | undefined>
  /** Revokes every token of the user's family not yet revoked; returns how many (0: no such live session). */
  revokeFamily(userId: number, familyId: string, now: number): Promise<number>
  /** Revokes every token not yet revoked of the user's sessions but `keep` (a family id, or none). */
  revokeAll(userId: number, keep: string | null, now: number): Promise<number>
  /** Revokes every token not yet revoked of the number's sessions in `app`; returns how many. */
  revokeApp(phone: string, app: App, now: number): Promise<number>
  /** The user's sessions that have a live token at `now`, the most recently used first. */
  sessions(userId: number, now: number): Promise<LiveSession[]>
  /**
   * Moves the user to a new number and ends every session but `keep`, all or nothing. 'taken' when another
   * account has the number (nothing changes), 'gone' when the user no longer exists.
   */
  changePhone(userId: number, phone: string, keep: string, now: number): Promise<'changed' | 'taken' | 'gone'>
  /**
   * Deletes the user with every session (and, by the database's cascade, every passkey), and in the same
   * step replaces the number with `masked` wherever the SMS log and the statistics keep it (billing and the
   * per-prefix figures stay right) and drops its pending codes. False when the user no longer exists.
   */
  deleteUser(userId: number, masked: string): Promise<boolean>
  user(id: number): Promise<User | undefined>
  userByPhone(phone: string): Promise<User | undefined>
  updateUser(id: number, fields: { full_name: string | null }, now: number): Promise<User | undefined>
  /**
   * Removes up to `limit` tokens made before `madeBefore` (an id: ids sort by when they were made) that
   * expired at or before `expiredBefore`. Returns how many went; fewer than `limit` means none are left.
   */
  sweep(madeBefore: string, expiredBefore: number, limit: number): Promise<number>
}

/** The columns of a token row that describe its session. */
export type SessionRow = Pick<RefreshToken, 'app' | 'device_name' | 'platform' | 'country' | 'started_at'>

/** A live token's row as the session it stands for (both engines' rows have these columns). */
export function liveSession(row: SessionRow & { id: string; created_at: number | string }): LiveSession {
  const lastUsedAt = Number(row.created_at)
  return {
    id: row.id,
    app: row.app,
    deviceName: row.device_name,
    platform: row.platform as Platform | null,
    country: row.country,
    startedAt: row.started_at === null ? lastUsedAt : Number(row.started_at),
    lastUsedAt,
  }
}
