import type { SqliteConnection } from '../../db/sqlite.js'
import type { NewToken, Presented, RefreshToken, SessionStore, User } from './index.js'

const NEW_USER = `insert into users (phone, full_name, created_at, updated_at) values (?, null, ?, ?)
  on conflict (phone) do nothing returning *`
const USER_BY_PHONE = 'select * from users where phone = ?'
const USER = 'select * from users where id = ?'
const NEW_TOKEN = `insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
  values (?, ?, ?, ?, ?, ?)`
/** Only a live token rotates: the id and hash both match, and it is not rotated, revoked or expired. */
const ROTATE = `update refresh_tokens set rotated_at = ?
  where id = ? and token_hash = ? and rotated_at is null and revoked_at is null and expires_at > ?
  returning user_id, family_id`
const TOKEN = 'select * from refresh_tokens where id = ?'
const REVOKE_FAMILY = `update refresh_tokens set revoked_at = ?
  where user_id = ? and family_id = ? and revoked_at is null`
const UPDATE_USER = 'update users set full_name = ?, updated_at = ? where id = ? returning *'
const SWEEP = `delete from refresh_tokens where id in (
  select id from refresh_tokens where id < ? and expires_at <= ? limit ?)`

/** Users and refresh tokens in the embedded database; each write below is one all-or-nothing step. */
export class SqliteSessionStore implements SessionStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  signIn(phone: string, token: NewToken & { familyId: string }): Promise<{ user: User; isNew: boolean }> {
    const { sqlite } = this
    return sqlite.write(() => {
      const inserted = sqlite.prepare(NEW_USER).get(phone, token.createdAt, token.createdAt) as
        | User
        | undefined
      const user = inserted ?? (sqlite.prepare(USER_BY_PHONE).get(phone) as User)
      sqlite
        .prepare(NEW_TOKEN)
        .run(token.id, user.id, token.familyId, token.hash, token.createdAt, token.expiresAt)
      return { user, isNew: inserted !== undefined }
    })
  }

  rotate(presented: Presented, successor: NewToken): Promise<{ userId: number; familyId: string } | null> {
    const { sqlite } = this
    const now = successor.createdAt
    return sqlite.write(() => {
      const rotated = sqlite.prepare(ROTATE).get(now, presented.id, presented.hash, now) as
        | { user_id: number; family_id: string }
        | undefined
      if (!rotated) return null
      sqlite
        .prepare(NEW_TOKEN)
        .run(successor.id, rotated.user_id, rotated.family_id, successor.hash, now, successor.expiresAt)
      return { userId: rotated.user_id, familyId: rotated.family_id }
    })
  }

  async token(id: string): Promise<RefreshToken | undefined> {
    return this.sqlite.prepare(TOKEN).get(id) as RefreshToken | undefined
  }

  async revokeFamily(userId: number, familyId: string, now: number): Promise<void> {
    await this.sqlite.run(REVOKE_FAMILY, now, userId, familyId)
  }

  async user(id: number): Promise<User | undefined> {
    return this.sqlite.prepare(USER).get(id) as User | undefined
  }

  updateUser(id: number, fields: { full_name: string | null }, now: number): Promise<User | undefined> {
    return this.sqlite.write(
      () => this.sqlite.prepare(UPDATE_USER).get(fields.full_name, now, id) as User | undefined,
    )
  }

  async sweep(madeBefore: string, expiredBefore: number, limit: number): Promise<number> {
    return (await this.sqlite.run(SWEEP, madeBefore, expiredBefore, limit)).changes
  }
}
