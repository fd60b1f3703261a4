import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { safeEqual } from '../crypto.js'
import type { Db } from '../db/index.js'
import { PreparedQuery } from '../db/prepared.js'
import type { PreparingDatabase } from '../db/statements.js'

export interface PendingCode {
  id: string
  hash: string
  expiresAt: number
}

/**
 * What checking a code found: no code (or an expired one), a code whose attempts were used up before this
 * one, the right code (now deleted), or a wrong one with the attempts it leaves (at 0 the code is burnt).
 */
export type Check =
  | { kind: 'none' }
  | { kind: 'exhausted' }
  | { kind: 'right' }
  | { kind: 'wrong'; attemptsLeft: number }

/**
 * Where pending codes live. Every operation is atomic in the store itself, because several requests (or
 * instances) may touch the same number at once.
 */
export interface OtpStore {
  /** Saves a code for the number, replacing any previous one. */
  save(phone: string, code: PendingCode): Promise<void>
  /**
   * Compares `hash` with the number's code in constant time, as one atomic step: an attempt is counted
   * before the comparison, so no more than `maxAttempts` comparisons ever happen even when many guesses
   * arrive at once; a right code is deleted (exactly one of several concurrent right guesses gets `right`);
   * the last wrong attempt destroys the code's hash, and the code remembers for its lifetime that its
   * attempts are used up.
   */
  check(phone: string, hash: string, maxAttempts: number, now: number): Promise<Check>
  /** Deletes the code if it is still `id` (a send that failed removes its own code, never a newer one). */
  take(phone: string, id: string): Promise<boolean>
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

  async check(phone: string, hash: string, maxAttempts: number, now: number): Promise<Check> {
    const q = this.queries
    const reserve = { phone, now, max: maxAttempts }
    const row = this.sqlite ? q.reserve.runNow(reserve, this.sqlite)[0] : await q.reserve.first(reserve)
    if (!row) {
      const left = this.sqlite
        ? q.attemptsLeft.runNow({ phone, now }, this.sqlite)[0]
        : await q.attemptsLeft.first({ phone, now })
      return left ? { kind: 'exhausted' } : { kind: 'none' }
    }
    // On PostgreSQL two right guesses may both get past the comparison; only one deletes the code. On SQLite
    // the attempt, the comparison and the delete run without a pause, as one step.
    if (safeEqual(hash, row.code_hash))
      return (await this.take(phone, row.id)) ? { kind: 'right' } : { kind: 'none' }
    const attemptsLeft = maxAttempts - row.attempts
    if (attemptsLeft <= 0) await this.burn(phone, row.id)
    return { kind: 'wrong', attemptsLeft }
  }

  async take(phone: string, id: string): Promise<boolean> {
    const changed = this.sqlite
      ? this.queries.take.changedNow({ phone, id }, this.sqlite)
      : await this.queries.take.changed({ phone, id })
    return changed > 0
  }

  private async burn(phone: string, id: string): Promise<void> {
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
// CHECK counts the attempt, compares and then deletes a right code or, on the last wrong attempt, destroys the
// hash, all in one command. The hashes are compared by their SHA-1s, so how long the comparison takes tells
// nothing about the stored one (the double-hashing comparison; `secretEquals` in crypto.ts does the same). A
// Lua loop over every byte did too, for 10-16 µs of Redis's time against 0.7.
const CHECK = `
local v = redis.call('HMGET', KEYS[1], 'h', 'a')
if not v[1] then return {0} end
local max = tonumber(ARGV[2])
local a = tonumber(v[2])
if a >= max then return {1} end
a = a + 1
if v[1] ~= '' and redis.sha1hex(v[1]) == redis.sha1hex(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return {2}
end
if a >= max then redis.call('HSET', KEYS[1], 'a', a, 'h', '') else redis.call('HSET', KEYS[1], 'a', a) end
return {3, a}`
const TAKE = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
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
    check: new LuaScript(CHECK),
    take: new LuaScript(TAKE),
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

  async check(phone: string, hash: string, maxAttempts: number): Promise<Check> {
    const r = (await this.scripts.check.run(this.redis, this.key(phone), hash, maxAttempts)) as [
      number,
      number?,
    ]
    if (r[0] === 0) return { kind: 'none' }
    if (r[0] === 1) return { kind: 'exhausted' }
    if (r[0] === 2) return { kind: 'right' }
    return { kind: 'wrong', attemptsLeft: maxAttempts - Number(r[1]) }
  }

  async take(phone: string, id: string): Promise<boolean> {
    return (await this.scripts.take.run(this.redis, this.key(phone), id)) === 1
  }

  async sweep(): Promise<void> {}
}
