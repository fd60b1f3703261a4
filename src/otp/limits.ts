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
  /** Counted per phone number: kept in the SQL table the number's other counters share (NUMBER_LIMITS_TABLE). */
  perNumber?: boolean
}

/**
 * The SQL table of the limits counted per phone number (the cooldown, the hourly and daily caps, the wrong
 * guesses), each row keyed `<number>:<limit>`. Number first, so one number's counters are neighbours in the
 * table's index: a send's three go into one page instead of three pages at random places of three tables,
 * and on SQLite every page a batch of writes touches is a frame of the write-ahead log at its commit and a
 * copy at the checkpoint. Measured on those three upserts alone (300,000 numbers, batches of 50): 56 → 35 µs
 * of SQLite per send, 3.3 → 1.8 log frames. Created by migration 006 (which moved the rows of the tables
 * each of these limits had before); Redis keeps one key per limit, as ever.
 */
export const NUMBER_LIMITS_TABLE = 'rate_limit_number'

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
    const tableName = limitTable(spec)
    // rate-limiter-flexible creates each limit's own table at start-up; the shared one comes with migration 006.
    const tableCreated = spec.perNumber === true
    // The constructor calls back once the table is there (at once for a table it need not create).
    let settle!: (err?: unknown) => void
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve())
    })
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
              tableCreated,
              keyPrefix: '',
            },
            settle,
          )
        : new RateLimiterPostgres(
            { ...base, storeClient: this.database.raw, tableName, tableCreated, keyPrefix: '' },
            settle,
          )
    await ready
    if (spec.perNumber) keyAfterNumber(limiter, spec.name)
    return limiter
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
    for (const table of new Set(this.specs.map(limitTable)))
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

/**
 * Stores the keys of a per-number limit as `<number>:<limit>`. rate-limiter-flexible builds every stored key
 * with `getKey` (and reads one back with `parseKey`), which by itself would put a prefix first.
 */
function keyAfterNumber(limiter: RateLimiterAbstract, name: string): void {
  const suffix = rowKeySuffix(name)
  limiter.getKey = (key: string) => key + suffix
  limiter.parseKey = (rowKey: string) => rowKey.slice(0, -suffix.length)
}

/** What follows the number in the row key of a per-number limit. */
export const rowKeySuffix = (name: string) => `:${name}`

/** Where a limit lives: the SQL table, or the Redis key prefix under REDIS_KEY_PREFIX. */
export const limitTable = (spec: LimitSpec) =>
  spec.perNumber ? NUMBER_LIMITS_TABLE : `rate_limit_${spec.name}`
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
