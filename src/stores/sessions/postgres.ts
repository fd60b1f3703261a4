import type { Pool } from 'pg'
import {
  type App,
  type FirstToken,
  type LiveSession,
  liveSession,
  type NewToken,
  type Presented,
  type RefreshToken,
  type Rotated,
  type SessionRow,
  type SessionStore,
  type User,
} from './index.js'

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
    insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, app, device_name,
      platform, country, started_at)
    select $3, id, $4, $5, $2, $6, $7, $8, $9, $10, $2 from signed_in
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
    select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
      with ordinality as i(old_id, old_hash, id, token_hash, now, expires_at, country, n)
  ),
  rotated as (
    update refresh_tokens as t set rotated_at = i.now
    from (select distinct on (old_id, old_hash) * from input order by old_id, old_hash, n) as i
    where t.id = i.old_id and t.token_hash = i.old_hash and t.rotated_at is null and t.revoked_at is null
      and t.expires_at > i.now
    returning i.n, i.id, i.token_hash, i.now, i.expires_at, t.user_id, t.family_id, t.app, t.device_name,
      t.platform, coalesce(i.country, t.country) as country, t.started_at
  ),
  successor as (
    insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, app, device_name,
      platform, country, started_at)
    select id, user_id, family_id, token_hash, now, expires_at, app, device_name, platform, country, started_at
    from rotated
  )
  select r.n, r.user_id, r.family_id, r.app, u.phone from rotated as r join users as u on u.id = r.user_id`
/** SQLSTATE deadlock_detected. */
const DEADLOCK = '40P01'
const TOKEN = 'select * from refresh_tokens where id = $1'
const REVOKE_FAMILY = `update refresh_tokens set revoked_at = $1
  where user_id = $2 and family_id = $3 and revoked_at is null`
const REVOKE_ALL = `update refresh_tokens set revoked_at = $1
  where user_id = $2 and family_id is distinct from $3 and revoked_at is null`
const REVOKE_APP = `update refresh_tokens set revoked_at = $1
  where user_id = (select id from users where phone = $2) and app = $3 and revoked_at is null`
/** A live token per session: the newest of its family, neither rotated nor revoked nor expired. */
const SESSIONS = `select family_id as id, app, device_name, platform, country, started_at, created_at
  from refresh_tokens
  where user_id = $1 and rotated_at is null and revoked_at is null and expires_at > $2
  order by created_at desc`
/**
 * The user moved to the new number and every other session ended, in one statement: a number another account
 * holds fails the unique index and the whole statement with it (nothing moved, nothing ended).
 */
const CHANGE_PHONE = `with moved as (
    update users set phone = $2, updated_at = $3 where id = $1 returning id
  ),
  ended as (
    update refresh_tokens set revoked_at = $3
    where user_id in (select id from moved) and family_id <> $4 and revoked_at is null
  )
  select count(*)::int as moved from moved`
/**
 * The user deleted (its tokens and passkeys by the cascade) and its number masked or forgotten wherever it is
 * kept, in one statement: masked where totals and per-prefix figures need the row, deleted where the row only
 * served a code in flight.
 */
const DELETE_USER = `with gone as (
    delete from users where id = $1 returning phone
  ),
  log as (update sms_log set phone = $2 where phone in (select phone from gone)),
  events as (update otp_events set phone = $2 where phone in (select phone from gone)),
  codes as (delete from otp_codes where phone in (select phone from gone)),
  deliveries as (delete from sms_deliveries where phone in (select phone from gone))
  select count(*)::int as deleted from gone`
/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505'
const USER = 'select * from users where id = $1'
const USER_BY_PHONE = 'select * from users where phone = $1'
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

  async signIn(phone: string, token: FirstToken): Promise<{ user: User; isNew: boolean }> {
    const { rows } = await this.pool.query<User & { is_new: boolean }>({
      name: 'sessions.sign-in',
      text: SIGN_IN,
      values: [
        phone,
        token.createdAt,
        token.id,
        token.familyId,
        token.hash,
        token.expiresAt,
        token.app,
        token.device.name,
        token.device.platform,
        token.country ?? null,
      ],
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

  async revokeFamily(userId: number, familyId: string, now: number): Promise<number> {
    return (await this.pool.query(REVOKE_FAMILY, [now, userId, familyId])).rowCount ?? 0
  }

  async revokeAll(userId: number, keep: string | null, now: number): Promise<number> {
    return (await this.pool.query(REVOKE_ALL, [now, userId, keep])).rowCount ?? 0
  }

  async revokeApp(phone: string, app: App, now: number): Promise<number> {
    return (await this.pool.query(REVOKE_APP, [now, phone, app])).rowCount ?? 0
  }

  async sessions(userId: number, now: number): Promise<LiveSession[]> {
    const { rows } = await this.pool.query<SessionRow & { id: string; created_at: number }>(SESSIONS, [
      userId,
      now,
    ])
    return rows.map(liveSession)
  }

  async changePhone(
    userId: number,
    phone: string,
    keep: string,
    now: number,
  ): Promise<'changed' | 'taken' | 'gone'> {
    try {
      const { rows } = await this.pool.query<{ moved: number }>(CHANGE_PHONE, [userId, phone, now, keep])
      return rows[0]?.moved ? 'changed' : 'gone'
    } catch (err) {
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return 'taken'
      throw err
    }
  }

  async deleteUser(userId: number, masked: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ deleted: number }>(DELETE_USER, [userId, masked])
    return (rows[0]?.deleted ?? 0) > 0
  }

  async user(id: number): Promise<User | undefined> {
    return (await this.pool.query<User>(USER, [id])).rows[0]
  }

  async userByPhone(phone: string): Promise<User | undefined> {
    return (await this.pool.query<User>(USER_BY_PHONE, [phone])).rows[0]
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
    const { rows } = await this.pool.query<{
      n: string
      user_id: number
      family_id: string
      app: App
      phone: string
    }>({
      name: 'sessions.rotate-many',
      text: ROTATE_MANY,
      values: [
        batch.map((r) => r.presented.id),
        batch.map((r) => r.presented.hash),
        batch.map((r) => r.successor.id),
        batch.map((r) => r.successor.hash),
        batch.map((r) => r.successor.createdAt),
        batch.map((r) => r.successor.expiresAt),
        batch.map((r) => r.successor.country ?? null),
      ],
    })
    const rotated: (Rotated | null)[] = batch.map(() => null)
    for (const { n, user_id: userId, family_id: familyId, app, phone } of rows)
      rotated[Number(n) - 1] = { userId, familyId, app, phone }
    return rotated
  }
}
