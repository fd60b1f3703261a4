import type { SqliteConnection } from '../../db/sqlite.js'
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

const NEW_USER = `insert into users (phone, full_name, created_at, updated_at) values (?, null, ?, ?)
  on conflict (phone) do nothing returning *`
const USER_BY_PHONE = 'select * from users where phone = ?'
const USER = 'select * from users where id = ?'
const NEW_TOKEN = `insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, app,
    device_name, platform, country, started_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
/** Only a live token rotates: the id and hash both match, and it is not rotated, revoked or expired. */
const ROTATE = `update refresh_tokens set rotated_at = ?
  where id = ? and token_hash = ? and rotated_at is null and revoked_at is null and expires_at > ?
  returning user_id, family_id, app, device_name, platform, country, started_at,
    (select phone from users where users.id = user_id) as phone`
const TOKEN = 'select * from refresh_tokens where id = ?'
const REVOKE_FAMILY = `update refresh_tokens set revoked_at = ?
  where user_id = ? and family_id = ? and revoked_at is null`
const REVOKE_ALL = `update refresh_tokens set revoked_at = ?
  where user_id = ? and family_id is not ? and revoked_at is null`
const REVOKE_APP = `update refresh_tokens set revoked_at = ?
  where user_id = (select id from users where phone = ?) and app = ? and revoked_at is null`
/** A live token per session: the newest of its family, neither rotated nor revoked nor expired. */
const SESSIONS = `select family_id as id, app, device_name, platform, country, started_at, created_at
  from refresh_tokens
  where user_id = ? and rotated_at is null and revoked_at is null and expires_at > ?
  order by created_at desc`
const MOVE_USER = 'update users set phone = ?, updated_at = ? where id = ? returning id'
const PHONE_OWNER = 'select id from users where phone = ?'
const DELETE_USER = 'delete from users where id = ? returning phone'
// The number leaves every table that holds it: masked where totals and per-prefix figures need the row,
// deleted where the row only served a code in flight.
const MASK = [
  'update sms_log set phone = ? where phone = ?',
  'update otp_events set phone = ? where phone = ?',
]
const FORGET = ['delete from otp_codes where phone = ?', 'delete from sms_deliveries where phone = ?']
const UPDATE_USER = 'update users set full_name = ?, updated_at = ? where id = ? returning *'
const SWEEP = `delete from refresh_tokens where id in (
  select id from refresh_tokens where id < ? and expires_at <= ? limit ?)`

/** Users and refresh tokens in the embedded database; each write below is one all-or-nothing step. */
export class SqliteSessionStore implements SessionStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  signIn(phone: string, token: FirstToken): Promise<{ user: User; isNew: boolean }> {
    const { sqlite } = this
    return sqlite.write(() => {
      const inserted = sqlite.prepare(NEW_USER).get(phone, token.createdAt, token.createdAt) as
        | User
        | undefined
      const user = inserted ?? (sqlite.prepare(USER_BY_PHONE).get(phone) as User)
      sqlite
        .prepare(NEW_TOKEN)
        .run(
          token.id,
          user.id,
          token.familyId,
          token.hash,
          token.createdAt,
          token.expiresAt,
          token.app,
          token.device.name,
          token.device.platform,
          token.country ?? null,
          token.createdAt,
        )
      return { user, isNew: inserted !== undefined }
    })
  }

  rotate(presented: Presented, successor: NewToken): Promise<Rotated | null> {
    const { sqlite } = this
    const now = successor.createdAt
    return sqlite.write(() => {
      const rotated = sqlite.prepare(ROTATE).get(now, presented.id, presented.hash, now) as
        | (SessionRow & { user_id: number; family_id: string; phone: string })
        | undefined
      if (!rotated) return null
      const { user_id: userId, family_id: familyId, app, phone } = rotated
      sqlite
        .prepare(NEW_TOKEN)
        .run(
          successor.id,
          userId,
          familyId,
          successor.hash,
          now,
          successor.expiresAt,
          app,
          rotated.device_name,
          rotated.platform,
          successor.country ?? rotated.country,
          rotated.started_at,
        )
      return { userId, familyId, app, phone }
    })
  }

  async token(id: string): Promise<RefreshToken | undefined> {
    return this.sqlite.prepare(TOKEN).get(id) as RefreshToken | undefined
  }

  async revokeFamily(userId: number, familyId: string, now: number): Promise<number> {
    return (await this.sqlite.run(REVOKE_FAMILY, now, userId, familyId)).changes
  }

  async revokeAll(userId: number, keep: string | null, now: number): Promise<number> {
    return (await this.sqlite.run(REVOKE_ALL, now, userId, keep)).changes
  }

  async revokeApp(phone: string, app: App, now: number): Promise<number> {
    return (await this.sqlite.run(REVOKE_APP, now, phone, app)).changes
  }

  async sessions(userId: number, now: number): Promise<LiveSession[]> {
    const rows = this.sqlite.prepare(SESSIONS).all(userId, now) as (SessionRow & {
      id: string
      created_at: number
    })[]
    return rows.map(liveSession)
  }

  changePhone(
    userId: number,
    phone: string,
    keep: string,
    now: number,
  ): Promise<'changed' | 'taken' | 'gone'> {
    const { sqlite } = this
    return sqlite.write(() => {
      if (sqlite.prepare(PHONE_OWNER).get(phone)) return 'taken'
      if (!sqlite.prepare(MOVE_USER).get(phone, now, userId)) return 'gone'
      sqlite.prepare(REVOKE_ALL).run(now, userId, keep)
      return 'changed'
    })
  }

  deleteUser(userId: number, masked: string): Promise<boolean> {
    const { sqlite } = this
    return sqlite.write(() => {
      const gone = sqlite.prepare(DELETE_USER).get(userId) as { phone: string } | undefined
      if (!gone) return false
      for (const sql of MASK) sqlite.prepare(sql).run(masked, gone.phone)
      for (const sql of FORGET) sqlite.prepare(sql).run(gone.phone)
      return true
    })
  }

  async user(id: number): Promise<User | undefined> {
    return this.sqlite.prepare(USER).get(id) as User | undefined
  }

  async userByPhone(phone: string): Promise<User | undefined> {
    return this.sqlite.prepare(USER_BY_PHONE).get(phone) as User | undefined
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
