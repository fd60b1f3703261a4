import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Db } from '../db/index.js'
import { PreparedQuery } from '../db/prepared.js'
import type { PreparingDatabase } from '../db/statements.js'

export interface PendingCode {
  id: string
  hash: string
  expiresAt: number
}

export type Reservation =
  | { kind: 'none' }
  | { kind: 'exhausted' }
  | { kind: 'reserved'; id: string; hash: string; attempts: number }

/**
 * Where pending codes live. Every operation is atomic in the store itself, because several requests (or
 * instances) may touch the same number at once.
 */
export interface OtpStore {
  /** Saves a code for the number, replacing any previous one. */
  save(phone: string, code: PendingCode): Promise<void>
  /**
   * Counts one attempt before the code is compared, so no more than `maxAttempts` comparisons ever happen,
   * even when many guesses arrive at once.
   */
  reserveAttempt(phone: string, maxAttempts: number, now: number): Promise<Reservation>
  /** Deletes the code if it is still `id`; true for exactly one caller. */
  take(phone: string, id: string): Promise<boolean>
  /** Destroys the code's hash but remembers for its lifetime that its attempts are used up. */
  burn(phone: string, id: string): Promise<void>
  /** Removes expired codes; a no-op where the store expires them itself. */
  sweep(now: number): Promise<void>
}

/** The queries of every send and verification, compiled once (db/prepared.ts). */
function codeQueries(db: Db) {
  return {
    save: new PreparedQuery(db, (v: PendingCode & { phone: string; createdAt: number }) => {
      const row = {
        id: v.id,
        code_hash: v.hash,
        attempts: 0,
        created_at: v.createdAt,
        expires_at: v.expiresAt,
      }
      return db
        .insertInto('otp_codes')
        .values({ phone: v.phone, ...row })
        .onConflict((oc) => oc.column('phone').doUpdateSet(row))
    }),
    reserve: new PreparedQuery(db, (v: { phone: string; now: number; max: number }) =>
      db
        .updateTable('otp_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('phone', '=', v.phone)
        .where('expires_at', '>', v.now)
        .where('attempts', '<', v.max)
        .returning(['id', 'code_hash', 'attempts']),
    ),
    attemptsLeft: new PreparedQuery(db, (v: { phone: string; now: number }) =>
      db
        .selectFrom('otp_codes')
        .select('attempts')
        .where('phone', '=', v.phone)
        .where('expires_at', '>', v.now),
    ),
    take: new PreparedQuery(db, (v: { phone: string; id: string }) =>
      db.deleteFrom('otp_codes').where('phone', '=', v.phone).where('id', '=', v.id),
    ),
  }
}

/**
 * Codes in the SQL database. `sqlite`, the embedded database's connection (db/statements.ts), runs the hot
 * paths' statements at once (`PreparedQuery.runNow`) instead of through Kysely's promises and connection
 * lock, a few microseconds and a kilobyte of garbage per query (docs/SCALING.md); on PostgreSQL it is null.
 */
export class SqlOtpStore implements OtpStore {
  private readonly queries: ReturnType<typeof codeQueries>

  constructor(
    private readonly db: Db,
    private readonly sqlite: PreparingDatabase | null = null,
  ) {
    this.queries = codeQueries(db)
  }

  async save(phone: string, code: PendingCode): Promise<void> {
    const values = { phone, ...code, createdAt: Date.now() }
    if (this.sqlite) this.queries.save.runNow(values, this.sqlite)
    else await this.queries.save.execute(values)
  }

  async reserveAttempt(phone: string, maxAttempts: number, now: number): Promise<Reservation> {
    const q = this.queries
    const reserve = { phone, now, max: maxAttempts }
    const row = this.sqlite ? q.reserve.runNow(reserve, this.sqlite)[0] : await q.reserve.first(reserve)
    if (row) return { kind: 'reserved', id: row.id, hash: row.code_hash, attempts: row.attempts }
    const left = this.sqlite
      ? q.attemptsLeft.runNow({ phone, now }, this.sqlite)[0]
      : await q.attemptsLeft.first({ phone, now })
    return left ? { kind: 'exhausted' } : { kind: 'none' }
  }

  async take(phone: string, id: string): Promise<boolean> {
    const changed = this.sqlite
      ? this.queries.take.changedNow({ phone, id }, this.sqlite)
      : await this.queries.take.changed({ phone, id })
    return changed > 0
  }

  async burn(phone: string, id: string): Promise<void> {
    await this.db
      .updateTable('otp_codes')
      .set({ code_hash: '' })
      .where('phone', '=', phone)
      .where('id', '=', id)
      .execute()
  }

  async sweep(now: number): Promise<void> {
    await this.db.deleteFrom('otp_codes').where('expires_at', '<=', now).execute()
  }
}

// Redis keeps a code as a hash {id, h, a} whose key expires with the code. SAVE replaces the number's pending
// code in one command, so ioredis pipelines it with other requests' commands (a MULTI went out on a write of
// its own) and Redis runs one command instead of five.
const SAVE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'h', ARGV[2], 'a', 0)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1`
const RESERVE = `
local v = redis.call('HMGET', KEYS[1], 'id', 'h', 'a')
if not v[1] then return {0} end
if tonumber(v[3]) >= tonumber(ARGV[1]) then return {1} end
local a = redis.call('HINCRBY', KEYS[1], 'a', 1)
return {2, v[1], v[2], a}`
const TAKE = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
const BURN = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then redis.call('HSET', KEYS[1], 'h', '') end
return 0`

/** A Lua script run by its SHA (EVALSHA), loaded on first use and again after a Redis restart (NOSCRIPT). */
class LuaScript {
  private readonly sha: string
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run(redis: Redis, key: string, ...args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, 1, key, ...args)
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return await redis.eval(this.source, 1, key, ...args)
    }
  }
}

export class RedisOtpStore implements OtpStore {
  private readonly scripts = {
    save: new LuaScript(SAVE),
    reserve: new LuaScript(RESERVE),
    take: new LuaScript(TAKE),
    burn: new LuaScript(BURN),
  }

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  private key(phone: string): string {
    return `${this.keyPrefix}otp:${phone}`
  }

  async save(phone: string, code: PendingCode): Promise<void> {
    await this.scripts.save.run(this.redis, this.key(phone), code.id, code.hash, code.expiresAt)
  }

  async reserveAttempt(phone: string, maxAttempts: number): Promise<Reservation> {
    const r = (await this.scripts.reserve.run(this.redis, this.key(phone), maxAttempts)) as [
      number,
      string?,
      string?,
      number?,
    ]
    if (r[0] === 0) return { kind: 'none' }
    if (r[0] === 1) return { kind: 'exhausted' }
    return { kind: 'reserved', id: r[1] as string, hash: r[2] as string, attempts: Number(r[3]) }
  }

  async take(phone: string, id: string): Promise<boolean> {
    return (await this.scripts.take.run(this.redis, this.key(phone), id)) === 1
  }

  async burn(phone: string, id: string): Promise<void> {
    await this.scripts.burn.run(this.redis, this.key(phone), id)
  }

  async sweep(): Promise<void> {}
}
