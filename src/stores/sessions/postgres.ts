import type { Pool } from 'pg'
import type { NewToken, Presented, RefreshToken, SessionStore, User } from './index.js'

/**
 * The user found or created and its first token stored, in one statement. `do update` (not `do nothing`)
 * so that the row comes back even when a concurrent sign-in created it a moment before: no second look, no
 * race. A row this statement inserted has no `xmax`; one it updated has.
 */
const SIGN_IN = `with signed_in as (
    insert into users (phone, full_name, created_at, updated_at) values ($1, null, $2, $2)
    on conflict (phone) do update set phone = excluded.phone
    returning id, phone, full_name, created_at, updated_at, (xmax = 0) as is_new
  ),
  token as (
    insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
    select $3, id, $4, $5, $2, $6 from signed_in
  )
  select * from signed_in`
/**
 * A live token (id and hash both match, not rotated, revoked or expired) marked rotated and its successor
 * inserted, in one statement. A concurrent rotation of the same token waits for the row and then finds it
 * rotated: exactly one of them gets a successor.
 */
const ROTATE = `with rotated as (
    update refresh_tokens set rotated_at = $3
    where id = $1 and token_hash = $2 and rotated_at is null and revoked_at is null and expires_at > $3
    returning user_id, family_id
  ),
  successor as (
    insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
    select $4, user_id, family_id, $5, $3, $6 from rotated
  )
  select user_id, family_id from rotated`
const TOKEN = 'select * from refresh_tokens where id = $1'
const REVOKE_FAMILY = `update refresh_tokens set revoked_at = $1
  where user_id = $2 and family_id = $3 and revoked_at is null`
const USER = 'select * from users where id = $1'
const UPDATE_USER = 'update users set full_name = $1, updated_at = $2 where id = $3 returning *'
const SWEEP = `delete from refresh_tokens where id in (
  select id from refresh_tokens where id < $1 and expires_at <= $2 limit $3)`

/**
 * Users and refresh tokens in PostgreSQL; each write below is one statement. Sign-in and rotation, run on
 * every sign-in and refresh, are named (pg's `name`): PostgreSQL parses and plans them once per connection.
 * They list their columns, never `*`, so a column a later migration adds cannot change a prepared
 * statement's result type under a running instance.
 */
export class PostgresSessionStore implements SessionStore {
  constructor(private readonly pool: Pool) {}

  async signIn(
    phone: string,
    token: NewToken & { familyId: string },
  ): Promise<{ user: User; isNew: boolean }> {
    const { rows } = await this.pool.query<User & { is_new: boolean }>({
      name: 'sessions.sign-in',
      text: SIGN_IN,
      values: [phone, token.createdAt, token.id, token.familyId, token.hash, token.expiresAt],
    })
    const { is_new: isNew, ...user } = rows[0] as User & { is_new: boolean }
    return { user, isNew }
  }

  async rotate(
    presented: Presented,
    successor: NewToken,
  ): Promise<{ userId: number; familyId: string } | null> {
    const { rows } = await this.pool.query<{ user_id: number; family_id: string }>({
      name: 'sessions.rotate',
      text: ROTATE,
      values: [
        presented.id,
        presented.hash,
        successor.createdAt,
        successor.id,
        successor.hash,
        successor.expiresAt,
      ],
    })
    const rotated = rows[0]
    return rotated ? { userId: rotated.user_id, familyId: rotated.family_id } : null
  }

  async token(id: string): Promise<RefreshToken | undefined> {
    return (await this.pool.query<RefreshToken>(TOKEN, [id])).rows[0]
  }

  async revokeFamily(userId: number, familyId: string, now: number): Promise<void> {
    await this.pool.query(REVOKE_FAMILY, [now, userId, familyId])
  }

  async user(id: number): Promise<User | undefined> {
    return (await this.pool.query<User>(USER, [id])).rows[0]
  }

  async updateUser(id: number, fields: { full_name: string | null }, now: number): Promise<User | undefined> {
    return (await this.pool.query<User>(UPDATE_USER, [fields.full_name, now, id])).rows[0]
  }

  async sweep(madeBefore: string, expiredBefore: number, limit: number): Promise<number> {
    return (await this.pool.query(SWEEP, [madeBefore, expiredBefore, limit])).rowCount ?? 0
  }
}
