import { type Kysely, sql } from 'kysely'

// A session (a refresh-token family) belongs to one app, passenger or driver, and was opened on a device.
// Each token row carries its session's app, device name and platform (copied on every rotation, so the live
// token alone describes its session), the country its request came from, and when the session started.
// Sessions from before this are the passenger app's, the only one there was; their device is unknown and
// their start is taken as their live token's creation. Constant defaults add the columns without rewriting
// the table, on both engines.
const COLUMNS = ['app', 'device_name', 'platform', 'country', 'started_at']

export function sessionDevices() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('refresh_tokens')
        .addColumn('app', 'text', (c) => c.notNull().defaultTo('passenger'))
        .execute()
      for (const column of ['device_name', 'platform', 'country'])
        await db.schema.alterTable('refresh_tokens').addColumn(column, 'text').execute()
      await db.schema.alterTable('refresh_tokens').addColumn('started_at', 'bigint').execute()
      await sql`update refresh_tokens set started_at = created_at`.execute(db)
    },
    async down(db: Kysely<unknown>) {
      for (const column of COLUMNS.toReversed())
        await db.schema.alterTable('refresh_tokens').dropColumn(column).execute()
    },
  }
}
