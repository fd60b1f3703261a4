import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './context.js'

// The rows of rate_limit_number (migration 006) are keyed as rate-limiter-flexible keys them by itself,
// `<limit>:<number>` (the limit's name as the limiter's key prefix), instead of `<number>:<limit>`, which took
// a run-time patch of the library's key functions. Counts of windows still running keep counting.
// Without Redis, replace every instance at once across this migration: an older instance would count under
// the old keys.
const LIMITS = ['otp_resend', 'otp_number_hour', 'otp_number_day', 'otp_verify_failed']
const TABLE = sql.table('rate_limit_number')

export function limitKeys({ dialect }: MigrationContext) {
  // Kysely runs SQLite's migrations outside a transaction: rewriting the keys is all or nothing.
  const inTransaction = (db: Kysely<unknown>, work: (db: Kysely<unknown>) => Promise<void>) =>
    dialect === 'sqlite' ? db.transaction().execute(work) : work(db)
  // Every old key starts with the number ('+'), every new one with a limit's name: the two never collide.
  return {
    async up(outer: Kysely<unknown>) {
      await inTransaction(outer, async (db) => {
        for (const limit of LIMITS) {
          const suffix = `:${limit}`
          await sql`update ${TABLE}
            set key = ${`${limit}:`} || substr(key, 1, length(key) - ${suffix.length})
            where substr(key, length(key) - ${suffix.length - 1}) = ${suffix}`.execute(db)
        }
      })
    },
    async down(outer: Kysely<unknown>) {
      await inTransaction(outer, async (db) => {
        for (const limit of LIMITS) {
          const prefix = `${limit}:`
          await sql`update ${TABLE} set key = substr(key, ${prefix.length + 1}) || ${`:${limit}`}
            where substr(key, 1, ${prefix.length}) = ${prefix}`.execute(db)
        }
      })
    },
  }
}
