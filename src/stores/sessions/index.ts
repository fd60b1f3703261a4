import type { Selectable } from 'kysely'
import type { RefreshTokensTable, User } from '../../db/schema.js'

export type { User } from '../../db/schema.js'
export type RefreshToken = Selectable<RefreshTokensTable>

/** A refresh token to store: its row id, the HMAC it is stored as, and when it was made and expires. */
export interface NewToken {
  id: string
  hash: string
  createdAt: number
  expiresAt: number
}

/** A refresh token as presented: the row it names, and the HMAC that row must hold. */
export interface Presented {
  id: string
  hash: string
}

/**
 * Users and their refresh tokens. A token belongs to a family (every token descended from one sign-in);
 * each write that must be all or nothing is one operation here.
 */
export interface SessionStore {
  /**
   * Finds or creates the user of a verified number (created at `token.createdAt`) and stores its first
   * refresh token in a new family, all or nothing. Of concurrent first sign-ins of one number, exactly one
   * is told the user is new.
   */
  signIn(phone: string, token: NewToken & { familyId: string }): Promise<{ user: User; isNew: boolean }>
  /**
   * Marks the presented token rotated and stores its successor in the same family, all or nothing, if the
   * token is live at `successor.createdAt`: its id and hash both match, and it is not rotated, revoked or
   * expired. Null when it is not (of concurrent rotations of one token exactly one gets its successor).
   */
  rotate(presented: Presented, successor: NewToken): Promise<{ userId: number; familyId: string } | null>
  /** The token row with this id, whatever its state. */
  token(id: string): Promise<RefreshToken | undefined>
  /** Revokes every token of the family not yet revoked. */
  revokeFamily(userId: number, familyId: string, now: number): Promise<void>
  user(id: number): Promise<User | undefined>
  updateUser(id: number, fields: { full_name: string | null }, now: number): Promise<User | undefined>
  /**
   * Removes up to `limit` tokens made before `madeBefore` (an id: ids sort by when they were made) that
   * expired at or before `expiredBefore`. Returns how many went; fewer than `limit` means none are left.
   */
  sweep(madeBefore: string, expiredBefore: number, limit: number): Promise<number>
}
