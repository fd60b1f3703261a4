import type { Kysely } from 'kysely'

// A record of codes sent and verified, for the admin console's verification success rate (codes verified /
// codes sent) and its top sending IPs: the SMS log knows neither whether a code was used nor who asked for it.
export function otpEvents() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('otp_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('country', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('otp_events_kind_created')
        .on('otp_events')
        .columns(['kind', 'created_at'])
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('otp_events').execute()
    },
  }
}
