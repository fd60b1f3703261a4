import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

/** Number prefixes that may not receive codes: blocked by the pumping detector or by an operator. */
export function blockedPrefixes(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('blocked_prefixes')
        .addColumn('prefix', 'text', (c) => c.primaryKey())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('removed_at', 'bigint')
        .addColumn('removed_by', 'text')
        .execute()
      await db.schema
        .createIndex('blocked_prefixes_expires')
        .on('blocked_prefixes')
        .column('expires_at')
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('blocked_prefixes').execute()
    },
  }
}
