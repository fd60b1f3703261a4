import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './context.js'

// The limits counted per phone number move into one table, rate_limit_number, each row keyed
// `<number>:<limit>` (src/otp/limits.ts, NUMBER_LIMITS_TABLE: one number's counters then share a page of the
// index). Each had a table of its own, which rate-limiter-flexible created at start-up; the rows of windows
// still running move with their limit's name after the number, and those tables go. The new table has the
// columns rate-limiter-flexible gives its own tables, and is made here because several limits share it.
// Without Redis, replace every instance at once across this migration: an older instance would go on
// counting in tables it creates anew, a newer one in this one.
const LIMITS = ['otp_resend', 'otp_number_hour', 'otp_number_day', 'otp_verify_failed']
const TABLE = 'rate_limit_number'

export function numberLimits({ dialect }: MigrationContext) {
  const create = (db: Kysely<unknown>, table: string) =>
    db.schema
      .createTable(table)
      .addColumn('key', dialect === 'postgres' ? 'varchar(255)' : 'text', (c) => c.primaryKey())
      .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expire', 'bigint')
      .execute()
  // On PostgreSQL, in the schema the connection works in (the search path), as every statement here.
  const exists = async (db: Kysely<unknown>, table: string) =>
    (
      await (dialect === 'postgres'
        ? sql<{ found: string | null }>`select to_regclass(${table})::text as found`
        : sql<{
            found: string | null
          }>`select name as found from sqlite_master where type = 'table' and name = ${table}`
      ).execute(db)
    ).rows.some((r) => r.found !== null)
  // Kysely runs SQLite's migrations outside a transaction: moving rows is all or nothing.
  const inTransaction = (db: Kysely<unknown>, work: (db: Kysely<unknown>) => Promise<void>) =>
    dialect === 'sqlite' ? db.transaction().execute(work) : work(db)
  return {
    async up(outer: Kysely<unknown>) {
      await inTransaction(outer, async (db) => {
        await create(db, TABLE)
        const now = Date.now()
        for (const limit of LIMITS) {
          const old = `rate_limit_${limit}`
          if (!(await exists(db, old))) continue
          await sql`insert into ${sql.table(TABLE)} (key, points, expire)
            select key || ${`:${limit}`}, points, expire from ${sql.table(old)}
            where expire is null or expire > ${now}`.execute(db)
          await db.schema.dropTable(old).execute()
        }
      })
    },
    async down(outer: Kysely<unknown>) {
      await inTransaction(outer, async (db) => {
        for (const limit of LIMITS) {
          const suffix = `:${limit}`
          await create(db, `rate_limit_${limit}`)
          await sql`insert into ${sql.table(`rate_limit_${limit}`)} (key, points, expire)
            select substr(key, 1, length(key) - ${suffix.length}), points, expire from ${sql.table(TABLE)}
            where substr(key, length(key) - ${suffix.length - 1}) = ${suffix}`.execute(db)
        }
        await db.schema.dropTable(TABLE).execute()
      })
    },
  }
}
