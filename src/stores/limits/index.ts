import type { RateLimiterAbstract } from 'rate-limiter-flexible'

export interface LimitSpec {
  name: string
  points: number
  durationSeconds: number
  /** Counted per phone number: kept in the SQL table the number's other counters share (NUMBER_LIMITS_TABLE). */
  perNumber?: boolean
}

/** A key at or over its limit, as the admin console lists it. */
export interface LimitRow {
  /** The key the limiter was asked about (a number, an address, a prefix…), without the limit's prefix. */
  key: string
  points: number
  /** When the window ends (epoch ms); null for a window without end. */
  expire: number | null
}

/**
 * Limit counters: rate-limiter-flexible limiters in the shared store (Redis when configured, otherwise the
 * SQL database, so every instance on one PostgreSQL shares them and SQLite keeps them across a restart),
 * plus what the library cannot answer by itself.
 */
export interface LimitStore {
  /** Every limit created so far, so the admin console can list who is limited right now. */
  readonly specs: readonly LimitSpec[]
  /** A limiter for `spec`, ready to count (its table exists). */
  create(spec: LimitSpec): Promise<RateLimiterAbstract>
  /** How many points `key` holds in `limiter`'s current window, taking none (0 for a key without any). */
  consumed(limiter: RateLimiterAbstract, key: string): Promise<number>
  /**
   * Removes the counters of ended windows; returns how many went. rate-limiter-flexible treats such a row as
   * absent but never deletes it. Redis expires its keys itself (0).
   */
  sweep(now: number, chunk?: number): Promise<number>
  /** The keys of `spec` at or over its limit at `now`. */
  atLimit(spec: LimitSpec, now: number): Promise<LimitRow[]>
}

/**
 * The SQL table of the limits counted per phone number (the cooldown, the hourly and daily caps, the wrong
 * guesses), each row keyed `<limit>:<number>` (rate-limiter-flexible's own key format, the limit's name as
 * its key prefix). One table instead of one per limit: a send writes three of them. Created by migration 006;
 * keys reordered by 007.
 */
export const NUMBER_LIMITS_TABLE = 'rate_limit_number'

/** The SQL table a limit's counters live in. */
export const limitTable = (spec: LimitSpec): string =>
  spec.perNumber ? NUMBER_LIMITS_TABLE : `rate_limit_${spec.name}`

/**
 * What precedes the limiter's key in a stored row key ('' for a limit with a table of its own). The limiter
 * stores `<keyPrefix>:<key>` when the prefix is not empty.
 */
export const sqlKeyPrefix = (spec: LimitSpec): string => (spec.perNumber ? spec.name : '')

/** Rows one statement of the sweep looks at (SQLite) or removes (PostgreSQL). */
export const SWEEP_CHUNK = 2000

/** What every SQL limiter of `spec` is given besides its engine's client: its table and its key prefix. */
export function sqlLimiterOptions(spec: LimitSpec) {
  return {
    points: spec.points,
    duration: spec.durationSeconds,
    tableName: limitTable(spec),
    // rate-limiter-flexible creates a limit's own table; the shared one comes with migration 006.
    tableCreated: spec.perNumber === true,
    keyPrefix: sqlKeyPrefix(spec),
  }
}

/** A SQL limiter once its constructor has called back (its table is there). */
export async function whenReady(
  make: (ready: (err?: unknown) => void) => RateLimiterAbstract,
): Promise<RateLimiterAbstract> {
  let limiter!: RateLimiterAbstract
  await new Promise<void>((resolve, reject) => {
    limiter = make((err) => (err ? reject(err) : resolve()))
  })
  return limiter
}

/** The points a key holds, through the library (a SQL store reads one row either way). */
export async function consumedPoints(limiter: RateLimiterAbstract, key: string): Promise<number> {
  return (await limiter.get(key))?.consumedPoints ?? 0
}
