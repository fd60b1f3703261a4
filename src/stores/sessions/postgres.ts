import type { Pool } from 'pg'
import type { NewToken, Presented, RefreshToken, SessionStore, User } from './index.js'

type Rotated = { userId: number; familyId: string }

/** A refresh waiting for its turn's batch. */
interface Rotation {
  presented: Presented
  successor: NewToken
  resolve: (rotated: Rotated | null) => void
  reject: (err: unknown) => void
}

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
 * The refreshes of one turn of the event loop, the rows as one array per column: each live token (id and
 * hash both match, not rotated, revoked or expired) marked rotated and its successor inserted, in one
 * statement. A concurrent rotation of the same token waits for the row and then finds it rotated: exactly
 * one of them gets a successor. A token presented twice in one batch is rotated for its first presentation
 * only (a token is its id and its hash together: a forged secret for the same id must not take the real
 * token's place).
 */
const ROTATE_MANY = `with input as (
    select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
      with ordinality as i(old_id, old_hash, id, token_hash, now, expires_at, n)
  ),
  rotated as (
    update refresh_tokens as t set rotated_at = i.now
    from (select distinct on (old_id, old_hash) * from input order by old_id, old_hash, n) as i
    where t.id = i.old_id and t.token_hash = i.old_hash and t.rotated_at is null and t.revoked_at is null
      and t.expires_at > i.now
    returning i.n, i.id, i.token_hash, i.now, i.expires_at, t.user_id, t.family_id
  ),
  successor as (
    insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
    select id, user_id, family_id, token_hash, now, expires_at from rotated
  )
  select n, user_id, family_id from rotated`
/** SQLSTATE deadlock_detected. */
const DEADLOCK = '40P01'
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
  /** Rotations asked for in this turn of the event loop, not yet written. */
  private rotations: Rotation[] = []

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

  /**
   * Joins this turn's batch of rotations (`rotateMany`), written when the turn ends. Measured on two cores:
   * a statement costs the service about 300 µs of CPU and PostgreSQL a commit, and one per refresh halved
   * the refresh rate (docs/SCALING.md).
   */
  rotate(presented: Presented, successor: NewToken): Promise<Rotated | null> {
    return new Promise((resolve, reject) => {
      if (this.rotations.push({ presented, successor, resolve, reject }) === 1)
        setImmediate(() => void this.rotateWaiting())
    })
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

  /**
   * Writes the waiting rotations in one statement. If PostgreSQL aborts it for a deadlock (two instances'
   * batches presenting the same tokens in different orders), each is written alone instead: one request's
   * conflict must not fail the others.
   */
  private async rotateWaiting(): Promise<void> {
    const batch = this.rotations
    this.rotations = []
    try {
      const rotated = await this.rotateMany(batch)
      for (const [i, r] of batch.entries()) r.resolve(rotated[i] ?? null)
    } catch (err) {
      if (batch.length > 1 && (err as { code?: unknown }).code === DEADLOCK)
        for (const r of batch) this.rotateMany([r]).then((one) => r.resolve(one[0] ?? null), r.reject)
      else for (const r of batch) r.reject(err)
    }
  }

  /** The rotations in one statement; for each, its user and family, or null where it was not rotated. */
  private async rotateMany(batch: readonly Rotation[]): Promise<(Rotated | null)[]> {
    const { rows } = await this.pool.query<{ n: string; user_id: number; family_id: string }>({
      name: 'sessions.rotate-many',
      text: ROTATE_MANY,
      values: [
        batch.map((r) => r.presented.id),
        batch.map((r) => r.presented.hash),
        batch.map((r) => r.successor.id),
        batch.map((r) => r.successor.hash),
        batch.map((r) => r.successor.createdAt),
        batch.map((r) => r.successor.expiresAt),
      ],
    })
    const rotated: (Rotated | null)[] = batch.map(() => null)
    for (const row of rows) rotated[Number(row.n) - 1] = { userId: row.user_id, familyId: row.family_id }
    return rotated
  }
}
