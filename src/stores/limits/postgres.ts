import { setImmediate } from 'node:timers/promises'
import type { Pool } from 'pg'
import { type RateLimiterAbstract, RateLimiterPostgres } from 'rate-limiter-flexible'
import {
  consumedPoints,
  type LimitRow,
  type LimitSpec,
  type LimitStore,
  limitTable,
  SWEEP_CHUNK,
  sqlKeyPrefix,
  sqlLimiterOptions,
  whenReady,
} from './index.js'

export class PostgresLimitStore implements LimitStore {
  readonly specs: LimitSpec[] = []

  constructor(private readonly pool: Pool) {}

  async create(spec: LimitSpec): Promise<RateLimiterAbstract> {
    this.specs.push(spec)
    return await whenReady(
      (ready) =>
        new RateLimiterPostgres(
          { ...sqlLimiterOptions(spec), storeClient: this.pool, storeType: 'pool' },
          ready,
        ),
    )
  }

  consumed(limiter: RateLimiterAbstract, key: string): Promise<number> {
    return consumedPoints(limiter, key)
  }

  /** Up to `chunk` rows a statement: PostgreSQL's scans do not hold up this process. */
  async sweep(now: number, chunk = SWEEP_CHUNK): Promise<number> {
    let removed = 0
    for (const table of new Set(this.specs.map(limitTable))) {
      for (;;) {
        // ctid names the row version the inner scan saw: a row a request renewed meanwhile is a new version,
        // and the expiry is checked again on it.
        const { rowCount } = await this.pool.query(
          `delete from "${table}"
           where ctid = any(array(select ctid from "${table}" where expire <= $1 limit $2)) and expire <= $1`,
          [now, chunk],
        )
        removed += rowCount ?? 0
        if ((rowCount ?? 0) < chunk) break
        await setImmediate()
      }
    }
    return removed
  }

  async atLimit(spec: LimitSpec, now: number): Promise<LimitRow[]> {
    const prefix = sqlKeyPrefix(spec) && `${sqlKeyPrefix(spec)}:`
    const { rows } = await this.pool.query<LimitRow>(
      `select substr(key, $1) as key, points, expire from "${limitTable(spec)}"
       where substr(key, 1, $2) = $3 and points >= $4 and (expire is null or expire > $5)`,
      [prefix.length + 1, prefix.length, prefix, spec.points, now],
    )
    return rows
  }
}
