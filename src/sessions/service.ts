import { type ExpressionBuilder, type QueryCreator, sql } from 'kysely'
import { hmac, randomToken, timeOrderedId, timeOrderedIdFloor } from '../crypto.js'
import type { Db } from '../db/index.js'
import { PreparedQuery } from '../db/prepared.js'
import type { Database, User } from '../db/schema.js'
import type { PreparingDatabase } from '../db/statements.js'
import { AppError } from '../errors.js'
import { Hs256 } from './jwt.js'

export const ACCESS_TOKEN_SECONDS = 15 * 60
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
const ISSUER = 'royal-taxi'
/** How long an expired refresh token's row is kept before the sweep removes it (see `sweep`). */
export const EXPIRED_TOKENS_KEPT_MS = 7 * 24 * 3600 * 1000
const SWEEP_CHUNK = 500

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

/** A rotated refresh token's successor and whose it is. */
interface Rotated {
  token: string
  userId: number
}

/** A new refresh token's own columns, in the order `tokenValues` gives them. */
const TOKEN_COLUMNS = ['id', 'token_hash', 'created_at', 'expires_at'] as const

/**
 * A new refresh token's own values for an INSERT … SELECT, typed: there PostgreSQL cannot infer a parameter's
 * type from its column, and bound as text a number would not go into a bigint.
 */
function tokenValues<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, v: NewToken) {
  return [
    eb.cast<string>(eb.val(v.id), 'text').as('id'),
    eb.cast<string>(eb.val(v.hash), 'text').as('token_hash'),
    eb.cast<number>(eb.val(v.now), 'bigint').as('created_at'),
    eb.cast<number>(eb.val(v.expiresAt), 'bigint').as('expires_at'),
  ] as const
}

/** Marks the token with hash `oldHash` rotated if it is live (not rotated, not revoked, not expired). */
function rotateLive(db: QueryCreator<Database>, v: { oldHash: string; now: number }) {
  return db
    .updateTable('refresh_tokens')
    .set({ rotated_at: v.now })
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
    tokenByHash: new PreparedQuery(db, (v: { hash: string }) =>
      db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', v.hash),
    ),
    /**
     * PostgreSQL only: the user found or created and its first refresh token stored, in one statement (one
     * round trip where BEGIN, two INSERTs and COMMIT took four). `found` reads the statement's snapshot, so
     * a user that a concurrent first sign-in of the same number committed meanwhile is in neither `inserted`
     * nor `found`: then no row comes back and nothing was written (signIn falls back to a transaction).
     */
    signInInOne: new PreparedQuery(db, (v: NewToken & { phone: string; familyId: string }) =>
      db
        .with('inserted', (db) =>
          db
            .insertInto('users')
            .values({ phone: v.phone, full_name: null, created_at: v.now, updated_at: v.now })
            .onConflict((oc) => oc.column('phone').doNothing())
            .returningAll(),
        )
        .with('found', (db) => db.selectFrom('users').selectAll().where('phone', '=', v.phone))
        .with('chosen', (db) =>
          db
            .selectFrom('inserted')
            .selectAll()
            .select(sql<boolean>`true`.as('is_new'))
            .unionAll(db.selectFrom('found').selectAll().select(sql<boolean>`false`.as('is_new'))),
        )
        .with('token', (db) =>
          db
            .insertInto('refresh_tokens')
            .columns([...TOKEN_COLUMNS, 'user_id', 'family_id'])
            .expression((eb) =>
              eb
                .selectFrom('chosen')
                .select((eb) => [
                  ...tokenValues(eb, v),
                  'chosen.id',
                  eb.cast<string>(eb.val(v.familyId), 'text').as('family_id'),
                ]),
            )
            .returning('user_id'),
        )
        .selectFrom('chosen')
        .innerJoin('token', 'token.user_id', 'chosen.id')
        .selectAll('chosen'),
    ),
    /**
     * PostgreSQL only (SQLite has no INSERT or UPDATE in WITH): a refresh in one statement, one round trip
     * where finding the token, BEGIN, UPDATE, INSERT and COMMIT took five. The token with hash `oldHash` is
     * rotated only if it is live (not rotated, not revoked, not expired), and its successor is inserted only
     * if this statement rotated it; no row back means refresh must find out why.
     */
    rotateInOne: new PreparedQuery(db, (v: NewToken & { oldHash: string }) =>
      db
        .with('rotated', (db) => rotateLive(db, v))
        .insertInto('refresh_tokens')
        .columns([...TOKEN_COLUMNS, 'user_id', 'family_id'])
        .expression((eb) =>
          eb
            .selectFrom('rotated')
            .select((eb) => [...tokenValues(eb, v), 'rotated.user_id', 'rotated.family_id']),
        )
        .returning('user_id'),
    ),
    /** SQLite: the first half of rotateInOne, the token with hash `oldHash` rotated if it is live. */
    rotate: new PreparedQuery(db, (v: { oldHash: string; now: number }) => rotateLive(db, v)),
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
  private readonly rotateNow: ((hash: string, now: number) => Rotated | null) | null = null

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
      this.rotateNow = sqlite.transaction((oldHash: string, now: number): Rotated | null => {
        const rotated = q.rotate.runNow({ oldHash, now }, sqlite)[0]
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
      : ((await this.signInInOne(phone)) ?? (await this.signInInTransaction(phone)))
    return { session: this.session(user.id, refresh), user, isNew }
  }

  /** PostgreSQL: signIn in one statement; null when a concurrent first sign-in of the number got in between. */
  private async signInInOne(phone: string): Promise<SignedIn | null> {
    const { token, values } = this.newToken(Date.now())
    const row = await this.queries.signInInOne.first({ ...values, phone, familyId: timeOrderedId() })
    if (!row) return null
    const { is_new: isNew, ...user } = row
    return { user, refresh: token, isNew }
  }

  /** PostgreSQL, when signInInOne lost to a concurrent first sign-in: the user is there now. */
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
    const hash = hmac(this.refreshKey, token)
    // The usual case, a live token, at once; anything else is told apart below.
    const rotated = this.rotateNow ? this.rotateNow(hash, now) : await this.rotateInOne(hash, now)
    if (rotated) return this.session(rotated.userId, rotated.token)
    const row = await this.queries.tokenByHash.first({ hash })
    if (!row || row.revoked_at !== null) throw new AppError('REFRESH_TOKEN_INVALID')
    if (row.rotated_at === null && row.expires_at <= now) throw new AppError('REFRESH_TOKEN_EXPIRED')
    // Rotated already: presented a second time, so copied. (Live, yet not rotated above, can only be a
    // PostgreSQL refresh with this same token that rotated it between the two statements: reused too.)
    await this.revokeFamily(row.family_id, now)
    throw new AppError('REFRESH_TOKEN_REUSED')
  }

  /** Ends the session the token belongs to. Unknown tokens are ignored, as RFC 7009 §2.2 prescribes. */
  async logout(token: string): Promise<void> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .select('family_id')
      .where('token_hash', '=', hmac(this.refreshKey, token))
      .executeTakeFirst()
    if (row) await this.revokeFamily(row.family_id, Date.now())
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

  private session(userId: number, refreshToken: string): Session {
    const iat = Math.floor(Date.now() / 1000)
    return {
      access_token: this.jwt.sign({ sub: String(userId), iss: ISSUER, iat, exp: iat + ACCESS_TOKEN_SECONDS }),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
    }
  }

  /** PostgreSQL: the successor of the live token with hash `hash` and its user, or null (see rotateInOne). */
  private async rotateInOne(hash: string, now: number): Promise<Rotated | null> {
    const { token, values } = this.newToken(now)
    const row = await this.queries.rotateInOne.first({ ...values, oldHash: hash })
    return row ? { token, userId: row.user_id } : null
  }

  /** A new refresh token made at `now`: what the client gets, and what its row stores (only the HMAC). */
  private newToken(now: number): { token: string; values: NewToken } {
    const token = randomToken()
    return {
      token,
      values: {
        id: timeOrderedId(),
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

  private async revokeFamily(familyId: string, now: number): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute()
  }
}
