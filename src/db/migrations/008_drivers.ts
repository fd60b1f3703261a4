import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

/**
 * The driver roster: the numbers the company admits to the driver app. A removed driver's row is deleted (the
 * log line and the revoked sessions are the record); the listing pages newest first, hence the index.
 */
export function drivers(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('drivers')
        // NOT NULL spelled out: SQLite lets a text primary key hold NULL.
        .addColumn('phone', 'text', (c) => c.primaryKey().notNull())
        .addColumn('name', 'text')
        .addColumn('added_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('drivers_created').on('drivers').columns(['created_at', 'phone']).execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('drivers').execute()
    },
  }
}
