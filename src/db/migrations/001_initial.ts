import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

export function initial({ dialect }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('phone', 'text', (c) => c.notNull().unique())
        .addColumn('full_name', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('refresh_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('rotated_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute()
      await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute()
      await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute()

      await db.schema
        .createTable('otp_codes')
        .addColumn('phone', 'text', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('otp_codes_expires').on('otp_codes').column('expires_at').execute()

      await db.schema
        .createTable('sms_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('country', 'text', (c) => c.notNull())
        .addColumn('operator', 'text')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_message_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('sms_log_created').on('sms_log').column('created_at').execute()
      await db.schema.createIndex('sms_log_phone').on('sms_log').columns(['phone', 'created_at']).execute()
      await db.schema.createIndex('sms_log_request').on('sms_log').column('request_id').execute()
      await db.schema
        .createIndex('sms_log_provider_message')
        .on('sms_log')
        .columns(['provider', 'provider_message_id'])
        .execute()
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['sms_log', 'otp_codes', 'refresh_tokens', 'users'])
        await db.schema.dropTable(t).execute()
    },
  }
}
