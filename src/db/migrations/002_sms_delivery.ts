import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

/**
 * Segments and cost on every SMS-log row, status times, and the delivery receipts gateways send back.
 * SQLite adds one column per ALTER TABLE, so each column is its own statement on both engines.
 */
export function smsDelivery({ dialect }: MigrationContext) {
  // PostgreSQL's `real` keeps only 6 significant digits, too few for summed costs; SQLite's REAL is 8 bytes.
  const float = dialect === 'postgres' ? 'double precision' : 'real'
  return {
    async up(db: Kysely<unknown>) {
      const columns: [string, 'integer' | 'text' | 'bigint' | 'real' | 'double precision'][] = [
        ['segments', 'integer'],
        ['encoding', 'text'],
        ['cost', float],
        ['currency', 'text'],
        ['cost_usd', float],
        ['price_source', 'text'],
        ['duration_ms', 'integer'],
        ['sent_at', 'bigint'],
        ['delivered_at', 'bigint'],
        ['failed_at', 'bigint'],
      ]
      for (const [name, type] of columns)
        await db.schema.alterTable('sms_log').addColumn(name, type).execute()
      await db.schema
        .createIndex('sms_log_provider_created')
        .on('sms_log')
        .columns(['provider', 'created_at'])
        .execute()

      await db.schema
        .createTable('sms_receipts')
        .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('sms_log_id', 'text', (c) => c.notNull().references('sms_log.id').onDelete('cascade'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('raw_status', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute()
      // A gateway repeating a receipt (they retry until they get a 2xx) adds no second row.
      await db.schema
        .createIndex('sms_receipts_unique')
        .on('sms_receipts')
        .columns(['sms_log_id', 'raw_status'])
        .unique()
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sms_receipts').execute()
      await db.schema.dropIndex('sms_log_provider_created').execute()
      for (const name of [
        'segments',
        'encoding',
        'cost',
        'currency',
        'cost_usd',
        'price_source',
        'duration_ms',
        'sent_at',
        'delivered_at',
        'failed_at',
      ])
        await db.schema.alterTable('sms_log').dropColumn(name).execute()
    },
  }
}
