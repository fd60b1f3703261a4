import type { Redis } from 'ioredis'
import {
  type RateLimiterAbstract,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
} from 'rate-limiter-flexible'
import type { DatabaseHandle } from '../db/index.js'
import { AppError, type ErrorCode } from '../errors.js'

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
