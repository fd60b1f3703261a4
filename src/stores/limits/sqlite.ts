import { setImmediate } from 'node:timers/promises'
import { type RateLimiterAbstract, RateLimiterSQLite } from 'rate-limiter-flexible'
import type { SqliteConnection } from '../../db/sqlite.js'
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

export class SqliteLimitStore implements LimitStore {
  readonly specs: LimitSpec[] = []

  constructor(private readonly sqlite: SqliteConnection) {}

  async create(spec: LimitSpec): Promise<RateLimiterAbstract> {
    this.specs.push(spec)
    return await whenReady(
      (ready) =>
        new RateLimiterSQLite(
          {
            ...sqlLimiterOptions(spec),
            storeClient: this.sqlite.limiterClient(),
            storeType: 'better-sqlite3',
          },
          ready,
        ),
    )
  }

  consumed(limiter: RateLimiterAbstract, key: string): Promise<number> {
    return consumedPoints(limiter, key)
  }

  /**
   * An expired row is not told apart by any index (one would cost every request a write), so the table is
   * walked by rowid, `chunk` rows a statement, with the event loop free in between: the one connection is
   * never held long.
   */
  async sweep(now: number, chunk = SWEEP_CHUNK): Promise<number> {
    let removed = 0
    for (const table of new Set(this.specs.map(limitTable))) {
      const top = (
        this.sqlite.prepare(`select max(rowid) as top from ${table}`).get() as { top: number | null }
      ).top
      const remove = this.sqlite.prepare(
        `delete from ${table} where rowid > ? and rowid <= ? and expire <= ?`,
      )
      for (let from = 0; from < (top ?? 0); from += chunk) {
        removed += await this.sqlite.write(() => remove.run(from, from + chunk, now).changes)
        await setImmediate()
      }
    }
    return removed
  }

  async atLimit(spec: LimitSpec, now: number): Promise<LimitRow[]> {
    const prefix = sqlKeyPrefix(spec) && `${sqlKeyPrefix(spec)}:`
    const rows = this.sqlite
      .prepare(
        `select substr(key, ?) as key, points, expire from ${limitTable(spec)}
         where substr(key, 1, ?) = ? and points >= ? and (expire is null or expire > ?)`,
      )
      .all(prefix.length + 1, prefix.length, prefix, spec.points, now) as LimitRow[]
    return rows
  }
}
