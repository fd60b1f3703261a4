import type { Kysely } from 'kysely'

/**
 * Delivery-aware failover (docs/TELEGRAM.md). Every SMS-log attempt says which channel carried it (sms or
 * telegram) and why it was made (`fallback`: null for a code's first attempt, `error` after a refused or
 * failed attempt, `delivery` after one whose delivery report did not come in time). `sms_deliveries` holds one
 * row per code whose route waits for a delivery report: the attempt awaited, when to give up on it, which step
 * comes next, and the code sealed (AES-256-GCM under a key derived from SECRET_KEY) until it is delivered,
 * sent again or expired; then the seal is erased.
 */
export function deliveryChannels() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('sms_log')
        .addColumn('channel', 'text', (c) => c.notNull().defaultTo('sms'))
        .execute()
      await db.schema.alterTable('sms_log').addColumn('fallback', 'text').execute()
      await db.schema
        .createTable('sms_deliveries')
        // The SMS log's request id: every attempt for the code shares it.
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('code_id', 'text', (c) => c.notNull())
        // 'sms' when the user asked for SMS only; null: the route as configured.
        .addColumn('channel', 'text')
        .addColumn('sealed', 'text')
        .addColumn('watched_log_id', 'text', (c) => c.notNull())
        .addColumn('next_step', 'integer', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        // waiting → sending (claimed by one instance) → waiting (the next step waits too), delivered,
        // fell_back, expired or failed.
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_until', 'bigint')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('sms_deliveries_state_due')
        .on('sms_deliveries')
        .columns(['state', 'due_at'])
        .execute()
      await db.schema
        .createIndex('sms_deliveries_watched')
        .on('sms_deliveries')
        .column('watched_log_id')
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sms_deliveries').execute()
      await db.schema.alterTable('sms_log').dropColumn('fallback').execute()
      await db.schema.alterTable('sms_log').dropColumn('channel').execute()
    },
  }
}
