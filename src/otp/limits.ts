import type { Redis } from 'ioredis'
import { sql } from 'kysely'
import {
  type RateLimiterAbstract,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
} from 'rate-limiter-flexible'
import type { DatabaseHandle } from '../db/index.js'
import { AppError, type ErrorCode } from '../errors.js'

/** Rows one statement of the sweep looks at (SQLite) or removes (PostgreSQL). */
const SWEEP_CHUNK = 2000

export interface LimitSpec {
  name: string
  points: number
  durationSeconds: number
}

/**
 * Creates limiters in the shared store: Redis when configured, otherwise the database itself, so that every
 * instance pointed at the same PostgreSQL shares the limits and SQLite keeps them across a restart.
 */
export class LimiterFactory {
  /** Every limit created so far, so the admin console can list who is limited right now. */
  readonly specs: LimitSpec[] = []

  constructor(
    private readonly database: DatabaseHandle,
    private readonly redis: { client: Redis; keyPrefix: string } | null,
  ) {}

  async create(spec: LimitSpec): Promise<RateLimiterAbstract> {
    this.specs.push(spec)
    const base = { points: spec.points, duration: spec.durationSeconds }
    if (this.redis) {
      return new RateLimiterRedis({
        ...base,
        storeClient: this.redis.client,
        keyPrefix: limitRedisPrefix(this.redis.keyPrefix, spec.name),
        useRedisPackage: false,
      })
    }
    const tableName = limitTable(spec.name)
    return await new Promise<RateLimiterAbstract>((resolve, reject) => {
      const done = (err?: unknown) => (err ? reject(err) : resolve(limiter))
      // For SQLite the client is the group-committing connection (src/db/statements.ts): its statement cache
      // spares rate-limiter-flexible's prepare() per call, and its batch takes the counters' writes, each
      // upsert without a savepoint of its own.
      const limiter: RateLimiterAbstract =
        this.database.kind === 'sqlite'
          ? new RateLimiterSQLite(
              {
                ...base,
                storeClient: this.database.raw.singleStatementClient(),
                storeType: 'better-sqlite3',
                tableName,
                keyPrefix: '',
              },
              done,
            )
          : new RateLimiterPostgres(
              { ...base, storeClient: this.database.raw, tableName, keyPrefix: '' },
              done,
            )
    })
  }

  /**
   * How many points a key of `limiter` holds in its current window, taking none (0 for a key without any).
   *
   * On Redis this is one GET. rate-limiter-flexible's own `get` sends a MULTI of GET and PTTL, and ioredis
   * writes a transaction on its own instead of in the turn's auto-pipeline: one more socket write and round
   * trip for every send-otp, which reads the prefix's verified count alongside its counters. A single GET
   * is as atomic (a key's value and its expiry are one), and it goes out with the turn's other commands.
   */
  reader(limiter: RateLimiterAbstract): (key: string) => Promise<number> {
    const client = this.redis?.client
    if (client) return async (key) => Number((await client.get(limiter.getKey(key))) ?? 0)
    return async (key) => (await limiter.get(key))?.consumedPoints ?? 0
  }

  /**
   * Removes the rows of limits whose window has ended; returns how many went. rate-limiter-flexible treats
   * such a row as absent (the next request starts a new window over it) but never deletes it, so without
   * this every number and address that ever asked for a code kept a row in every limit's table. Redis
   * expires its keys itself.
   *
   * In chunks, each a statement of its own with the event loop free in between, so SQLite's one connection
   * is never held long. An expired row is not told apart by any index (one would cost every request a
   * write), so SQLite walks the table by rowid, a range of `chunk` rows at a time; PostgreSQL, whose scans
   * do not hold up this process, removes up to `chunk` rows per statement.
   */
  async sweep(now: number, chunk = SWEEP_CHUNK): Promise<number> {
    if (this.redis) return 0
    let removed = 0
    for (const table of new Set(this.specs.map((s) => limitTable(s.name))))
      removed += await this.sweepTable(sql.table(table), now, chunk)
    return removed
  }

  private async sweepTable(table: ReturnType<typeof sql.table>, now: number, chunk: number): Promise<number> {
    const db = this.database.db
    const pause = () => new Promise((resolve) => setImmediate(resolve))
    let removed = 0
    if (this.database.kind === 'sqlite') {
      const { rows } = await sql<{ top: number | null }>`select max(rowid) as top from ${table}`.execute(db)
      const top = rows[0]?.top ?? 0
      for (let from = 0; from < top; from += chunk) {
        const r = await sql`delete from ${table}
          where rowid > ${from} and rowid <= ${from + chunk} and expire <= ${now}`.execute(db)
        removed += Number(r.numAffectedRows ?? 0)
        await pause()
      }
      return removed
    }
    for (;;) {
      // ctid names the row version the inner scan saw: a row a request renewed meanwhile is a new version,
      // and the expiry is checked again on it.
      const r = await sql`delete from ${table}
        where ctid = any(array(select ctid from ${table} where expire <= ${now} limit ${chunk}))
        and expire <= ${now}`.execute(db)
      const n = Number(r.numAffectedRows ?? 0)
      removed += n
      if (n < chunk) return removed
      await pause()
    }
  }
}

/** Where a limit lives: the SQL table, or the Redis key prefix under REDIS_KEY_PREFIX. */
export const limitTable = (name: string) => `rate_limit_${name}`
export const limitRedisPrefix = (keyPrefix: string, name: string) => `${keyPrefix}limit:${name}`

/**
 * Consumes one point. A rejection becomes a 429 with Retry-After; a store failure (Redis or the database down)
 * becomes 503: with no working limit we do not send.
 */
export async function consumeOrThrow(
  limiter: RateLimiterAbstract,
  key: string,
  code: ErrorCode,
): Promise<void> {
  try {
    await limiter.consume(key)
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000))
      throw new AppError(code, { seconds }, { retry_after: seconds }, seconds)
    }
    throw new AppError('SERVICE_UNAVAILABLE', {}, {}, undefined, err)
  }
}
