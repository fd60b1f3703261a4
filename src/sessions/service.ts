import { type QueryCreator, sql } from 'kysely'
import { hmac, randomToken, safeEqual, timeOrderedId, timeOrderedIdFloor } from '../crypto.js'
import type { Db } from '../db/index.js'
import { PreparedQuery, rawQuery } from '../db/prepared.js'
import type { Database, User } from '../db/schema.js'
import type { PreparingDatabase } from '../db/statements.js'
import { aloneOnDeadlock, type Columns, TurnBatch, toColumns } from '../db/turn-batch.js'
import { AppError } from '../errors.js'
import { Hs256 } from './jwt.js'

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

/** A new refresh token's own values: its row id, the HMAC it is stored as, when it was made and expires. */
interface NewToken {
  id: string
  hash: string
  now: number
  expiresAt: number
}

/** A sign-in's user and first refresh token (the token itself, only ever sent to the client). */
interface SignedIn {
  user: User
  refresh: string
  isNew: boolean
}

/** A refresh token as presented: the row it names, and the HMAC that row must hold. */
interface Presented {
  id: string
  hash: string
}

/** A rotated refresh token's successor and whose it is. */
interface Rotated {
  token: string
  userId: number
}

/** A sign-in or refresh waiting for its turn's batch: its new token, and the token's row values. */
interface Waiting<T> {
  of: T
  token: string
  values: NewToken
}

/** Marks the token `oldId` with hash `oldHash` rotated if it is live (not rotated, not revoked, not expired). */
function rotateLive(db: QueryCreator<Database>, v: { oldId: string; oldHash: string; now: number }) {
  return db
    .updateTable('refresh_tokens')
    .set({ rotated_at: v.now })
    .where('id', '=', v.oldId)
    .where('token_hash', '=', v.oldHash)
    .where('rotated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', v.now)
    .returning(['user_id', 'family_id'])
}

/** The queries of every sign-in and refresh, compiled once (db/prepared.ts). */
function sessionQueries(db: Db) {
  return {
    newUser: new PreparedQuery(db, (v: { phone: string; now: number }) =>
      db
        .insertInto('users')
        .values({ phone: v.phone, full_name: null, created_at: v.now, updated_at: v.now })
        .onConflict((oc) => oc.column('phone').doNothing())
        .returningAll(),
    ),
    userByPhone: new PreparedQuery(db, (v: { phone: string }) =>
      db.selectFrom('users').selectAll().where('phone', '=', v.phone),
    ),
    userById: new PreparedQuery(db, (v: { id: number }) =>
      db.selectFrom('users').selectAll().where('id', '=', v.id),
    ),
    newToken: new PreparedQuery(db, (v: NewToken & { userId: number; familyId: string }) =>
      db.insertInto('refresh_tokens').values({
        id: v.id,
        user_id: v.userId,
        family_id: v.familyId,
        token_hash: v.hash,
        created_at: v.now,
        expires_at: v.expiresAt,
        rotated_at: null,
        revoked_at: null,
      }),
    ),
    tokenById: new PreparedQuery(db, (v: { id: string }) =>
      db.selectFrom('refresh_tokens').selectAll().where('id', '=', v.id),
    ),
    /**
     * PostgreSQL only: the sign-ins of one event-loop turn in one statement (TurnBatch), each user found or
     * created and its first refresh token stored; one round trip for all of them where BEGIN, two INSERTs
     * and COMMIT took four for each. The rows come as one array per column (`unnest`); `n` numbers them.
     * `found` reads the statement's snapshot, so a user that a concurrent first sign-in of the same number
     * committed meanwhile is in neither `inserted` nor `found`: no row comes back for that sign-in and
     * nothing was written for it (signIn falls back to a transaction). Two sign-ins of one new number in
     * one batch create it once, and only the first is told it is new.
     */
    signInBatch: new PreparedQuery(db, (v: Columns<NewToken> & { phone: string[]; familyId: string[] }) =>
      rawQuery<User & { n: number; is_new: boolean }>(
        db,
        sql`with input as (
            select * from unnest(${v.phone}::text[], ${v.id}::text[], ${v.hash}::text[], ${v.now}::bigint[],
              ${v.expiresAt}::bigint[], ${v.familyId}::text[])
              with ordinality as i(phone, id, token_hash, now, expires_at, family_id, n)
          ),
          inserted as (
            insert into users (phone, full_name, created_at, updated_at)
            select distinct on (phone) phone, null::text, now, now from input order by phone, n
            on conflict (phone) do nothing
            returning *
          ),
          found as (select * from users where phone in (select phone from input)),
          chosen as (select *, true as is_new from inserted union all select *, false as is_new from found),
          token as (
            insert into refresh_tokens (id, token_hash, created_at, expires_at, user_id, family_id)
            select i.id, i.token_hash, i.now, i.expires_at, c.id, i.family_id
            from input as i join chosen as c on c.phone = i.phone
            returning token_hash
          )
          select i.n, c.id, c.phone, c.full_name, c.created_at, c.updated_at,
            c.is_new and i.n = min(i.n) over (partition by i.phone) as is_new
          from input as i join chosen as c on c.phone = i.phone join token as k on k.token_hash = i.token_hash`,
      ),
    ),
    /**
     * PostgreSQL only (SQLite has no INSERT or UPDATE in WITH): the refreshes of one event-loop turn in one
     * statement, one round trip where finding the token, BEGIN, UPDATE, INSERT and COMMIT took five for
     * each. A token is rotated only if it is live (not rotated, not revoked, not expired), and its successor
     * is inserted only if this statement rotated it; a token presented twice in the batch is rotated for its
     * first presentation only (a token is its id and its hash together: a forged secret for the same id in
     * the batch must not take the real token's place and leave it looking reused). No row back for a
     * refresh means refresh must find out why.
     */
    rotateBatch: new PreparedQuery(db, (v: Columns<NewToken> & { oldId: string[]; oldHash: string[] }) =>
      rawQuery<{ n: number; user_id: number }>(
        db,
        sql`with input as (
            select * from unnest(${v.oldId}::text[], ${v.oldHash}::text[], ${v.id}::text[], ${v.hash}::text[],
              ${v.now}::bigint[], ${v.expiresAt}::bigint[])
              with ordinality as i(old_id, old_hash, id, token_hash, now, expires_at, n)
          ),
          rotated as (
            update refresh_tokens as t set rotated_at = i.now
            from (select distinct on (old_id, old_hash) * from input order by old_id, old_hash, n) as i
            where t.id = i.old_id and t.token_hash = i.old_hash and t.rotated_at is null and t.revoked_at is null
              and t.expires_at > i.now
            returning i.n, t.user_id, t.family_id
          ),
          successor as (
            insert into refresh_tokens (id, token_hash, created_at, expires_at, user_id, family_id)
            select i.id, i.token_hash, i.now, i.expires_at, r.user_id, r.family_id
            from rotated as r join input as i on i.n = r.n
            returning token_hash, user_id
          )
          select i.n, s.user_id from successor as s join input as i on i.token_hash = s.token_hash`,
      ),
    ),
    /** SQLite: the first half of rotateBatch, the token `oldId` with hash `oldHash` rotated if it is live. */
    rotate: new PreparedQuery(db, (v: { oldId: string; oldHash: string; now: number }) => rotateLive(db, v)),
  }
}

/**
 * Access tokens are short-lived JWTs checked without a database read; refresh tokens are opaque random strings
 * stored only as HMACs, rotated on every use. A rotated token presented again means it was copied: the whole
 * family (every token descended from that sign-in) is revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
 */
export class SessionService {
  private readonly jwt: Hs256
  private readonly queries: ReturnType<typeof sessionQueries>
  /** SQLite: signIn's and refresh's writes, each a synchronous transaction (see the constructor). */
  private readonly signInNow: ((phone: string) => SignedIn) | null = null
  private readonly rotateNow: ((old: Presented, now: number) => Rotated | null) | null = null
  /** PostgreSQL: the sign-ins and the refreshes of one event-loop turn, each batch one statement. */
  private readonly signIns = new TurnBatch(
    aloneOnDeadlock((rows: readonly Waiting<string>[]) => this.signInMany(rows)),
  )
  private readonly rotations = new TurnBatch(
    aloneOnDeadlock((rows: readonly Waiting<Presented>[]) => this.rotateMany(rows)),
  )

  /**
   * `sqlite` is the embedded database's connection (db/statements.ts), or null on PostgreSQL.
   *
   * On SQLite a sign-in and a refresh each write in a synchronous transaction, a savepoint in the batch
   * open on that one connection, instead of a Kysely transaction: Kysely's spans several turns of the
   * microtask queue, and whatever another request wrote on the connection meanwhile (rate-limiter-flexible
   * writes beside Kysely) was inside its savepoint, undone with it if it rolled back. Run at once, nothing
   * gets in between; and it skips the Kysely instance, connection lock and promises each transaction
   * costs, behind much of the garbage a refresh left to V8's old generation (docs/SCALING.md).
   */
  constructor(
    private readonly db: Db,
    jwtKey: Uint8Array,
    private readonly refreshKey: Buffer,
    sqlite: PreparingDatabase | null,
  ) {
    this.queries = sessionQueries(db)
    this.jwt = new Hs256(Buffer.from(jwtKey))
    if (sqlite) {
      const q = this.queries
      this.signInNow = sqlite.transaction((phone: string): SignedIn => {
        const now = Date.now()
        const inserted = q.newUser.runNow({ phone, now }, sqlite)[0]
        const user = inserted ?? q.userByPhone.runNow({ phone }, sqlite)[0]
        if (!user) throw new Error(`user ${phone} is neither new nor found`)
        const { token, values } = this.newToken(now)
        q.newToken.runNow({ ...values, userId: user.id, familyId: timeOrderedId() }, sqlite)
        return { user, refresh: token, isNew: inserted !== undefined }
      })
      this.rotateNow = sqlite.transaction((old: Presented, now: number): Rotated | null => {
        const rotated = q.rotate.runNow({ oldId: old.id, oldHash: old.hash, now }, sqlite)[0]
        if (!rotated) return null
        const { token, values } = this.newToken(now)
        q.newToken.runNow({ ...values, userId: rotated.user_id, familyId: rotated.family_id }, sqlite)
        return { token, userId: rotated.user_id }
      })
    }
  }

  /**
   * Finds or creates the user for a verified number and stores a refresh token, all or nothing (one
   * statement on PostgreSQL, a synchronous transaction on SQLite), then signs the access token.
   */
  async signIn(phone: string): Promise<{ session: Session; user: User; isNew: boolean }> {
    const { user, refresh, isNew } = this.signInNow
      ? this.signInNow(phone)
      : ((await this.signIns.add({ of: phone, ...this.newToken(Date.now()) })) ??
        (await this.signInInTransaction(phone)))
    return { session: this.session(user.id, refresh), user, isNew }
  }

  /**
   * PostgreSQL: a batch of sign-ins in one statement (signInBatch). A sign-in's result is null when a
   * concurrent first sign-in of its number got in between.
   */
  private async signInMany(rows: readonly Waiting<string>[]): Promise<(SignedIn | null)[]> {
    const { rows: found } = await this.queries.signInBatch.execute({
      ...toColumns(rows.map((r) => r.values)),
      phone: rows.map((r) => r.of),
      familyId: rows.map(() => timeOrderedId()),
    })
    const signedIn: (SignedIn | null)[] = rows.map(() => null)
    for (const { n, is_new: isNew, ...user } of found)
      signedIn[n - 1] = { user, refresh: (rows[n - 1] as Waiting<string>).token, isNew }
    return signedIn
  }

  /** PostgreSQL, when signInBatch lost to a concurrent first sign-in: the user is there now. */
  private async signInInTransaction(phone: string): Promise<SignedIn> {
    return await this.db.transaction().execute(async (trx) => {
      const now = Date.now()
      const inserted = await this.queries.newUser.first({ phone, now }, trx)
      const user = inserted ?? (await this.queries.userByPhone.first({ phone }, trx))
      if (!user) throw new Error(`user ${phone} is neither new nor found`)
      const { token, values } = this.newToken(now)
      await this.queries.newToken.execute({ ...values, userId: user.id, familyId: timeOrderedId() }, trx)
      return { user, refresh: token, isNew: inserted !== undefined }
    })
  }

  async refresh(token: string): Promise<Session> {
    const now = Date.now()
    const old = this.presented(token)
    if (!old) throw new AppError('REFRESH_TOKEN_INVALID')
    // The usual case, a live token, at once; anything else is told apart below.
    const rotated = this.rotateNow
      ? this.rotateNow(old, now)
      : await this.rotations.add({ of: old, ...this.newToken(now) })
    if (rotated) return this.session(rotated.userId, rotated.token)
    const row = await this.rowOf(old)
    if (!row || row.revoked_at !== null) throw new AppError('REFRESH_TOKEN_INVALID')
    if (row.rotated_at === null && row.expires_at <= now) throw new AppError('REFRESH_TOKEN_EXPIRED')
    // Rotated already: presented a second time, so copied. (Live, yet not rotated above, can only be a
    // PostgreSQL refresh with this same token that rotated it between the two statements: reused too.)
    await this.revokeFamily(row, now)
    throw new AppError('REFRESH_TOKEN_REUSED')
  }

  /** Ends the session the token belongs to. Unknown tokens are ignored, as RFC 7009 §2.2 prescribes. */
  async logout(token: string): Promise<void> {
    const old = this.presented(token)
    const row = old && (await this.rowOf(old))
    if (row) await this.revokeFamily(row, Date.now())
  }

  /** Returns the user id of a valid access token. */
  async authenticate(accessToken: string): Promise<number> {
    const claims = this.jwt.verify(accessToken, ISSUER)
    if (claims === 'expired') throw new AppError('TOKEN_EXPIRED')
    const id = claims === 'invalid' ? Number.NaN : Number(claims.sub)
    if (!Number.isSafeInteger(id)) throw new AppError('TOKEN_INVALID')
    return id
  }

  async getUser(id: number): Promise<User | undefined> {
    return await this.queries.userById.first({ id })
  }

  async updateUser(id: number, fields: { full_name: string | null }): Promise<User | undefined> {
    return await this.db
      .updateTable('users')
      .set({ ...fields, updated_at: Date.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
  }

  /** The row a presented refresh token names and the HMAC it must match, or null if it is not one of ours. */
  private presented(token: string): Presented | null {
    if (token.length !== TOKEN_LENGTH || token[ID_LENGTH] !== '.') return null
    return { id: token.slice(0, ID_LENGTH), hash: hmac(this.refreshKey, token) }
  }

  /** The row a presented token names, if it holds the token's HMAC (compared in constant time). */
  private async rowOf(old: Presented) {
    const row = await this.queries.tokenById.first({ id: old.id })
    return row && safeEqual(row.token_hash, old.hash) ? row : undefined
  }

  private session(userId: number, refreshToken: string): Session {
    const iat = Math.floor(Date.now() / 1000)
    return {
      access_token: this.jwt.sign({ sub: String(userId), iss: ISSUER, iat, exp: iat + ACCESS_TOKEN_SECONDS }),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
    }
  }

  /**
   * PostgreSQL: a batch of refreshes in one statement (rotateBatch); for each, the successor of its live
   * token and the token's user, or null.
   */
  private async rotateMany(rows: readonly Waiting<Presented>[]): Promise<(Rotated | null)[]> {
    const { rows: rotated } = await this.queries.rotateBatch.execute({
      ...toColumns(rows.map((r) => r.values)),
      oldId: rows.map((r) => r.of.id),
      oldHash: rows.map((r) => r.of.hash),
    })
    const successors: (Rotated | null)[] = rows.map(() => null)
    for (const { n, user_id } of rotated)
      successors[n - 1] = { token: (rows[n - 1] as Waiting<Presented>).token, userId: user_id }
    return successors
  }

  /**
   * A new refresh token made at `now`: what the client gets, and what its row stores (only the HMAC).
   *
   * The token is `<row id>.<32 random bytes>`, a split token: the id finds the row by its primary key, and
   * the row's HMAC of the whole token must match. Found by its HMAC instead, every sign-in and refresh
   * wrote an entry at a random place of a unique index on the hashes, a page no other write of its batch
   * shared (docs/SCALING.md). The id says when the token was made; the random part is the secret.
   */
  private newToken(now: number): { token: string; values: NewToken } {
    const id = timeOrderedId()
    const token = `${id}.${randomToken(SECRET_BYTES)}`
    return {
      token,
      values: {
        id,
        hash: hmac(this.refreshKey, token),
        now,
        expiresAt: now + REFRESH_TOKEN_SECONDS * 1000,
      },
    }
  }

  /**
   * Removes the refresh tokens that expired more than a week before `now`, rotated and revoked ones too; every
   * refresh inserts a row, so without this the table grows by one row per refresh forever. For that week
   * an expired token is still told apart (REFRESH_TOKEN_EXPIRED, or REUSED for a rotated one); after it, it
   * is unknown (REFRESH_TOKEN_INVALID): 401 all the same. Returns how many went.
   *
   * A token expires a fixed time after it is made and its id sorts by when it was made (`timeOrderedId`),
   * so the expired ones are a range of the primary key: no index on the expiry, which every refresh would
   * have to write and a migration would have to build on a table of millions of rows. The expiry is
   * checked as well, so a lifetime made longer later never removes a live token. In chunks, each a
   * statement of its own with the event loop free in between: SQLite's one connection is never held long.
   */
  async sweep(now: number): Promise<number> {
    const expiredBefore = now - EXPIRED_TOKENS_KEPT_MS
    const madeBefore = timeOrderedIdFloor(expiredBefore - REFRESH_TOKEN_SECONDS * 1000 + 1)
    let removed = 0
    for (;;) {
      const { numDeletedRows } = await this.db
        .deleteFrom('refresh_tokens')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('refresh_tokens')
            .select('id')
            .where('id', '<', madeBefore)
            .where('expires_at', '<=', expiredBefore)
            .limit(SWEEP_CHUNK),
        )
        .executeTakeFirstOrThrow()
      removed += Number(numDeletedRows)
      if (numDeletedRows < SWEEP_CHUNK) return removed
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Revokes every token of a family; found by the (user, family) index, so the user comes along. */
  private async revokeFamily(family: { user_id: number; family_id: string }, now: number): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('user_id', '=', family.user_id)
      .where('family_id', '=', family.family_id)
      .where('revoked_at', 'is', null)
      .execute()
  }
}
