import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

/**
 * Passkeys (src/passkeys/, docs/PASSKEYS.md): each WebAuthn credential a user registered, removed with its
 * user (ON DELETE CASCADE); the challenges handed out and not yet answered, when Redis does not hold them;
 * and one row per passkey sign-in, with the SMS it spared and that SMS's price, for the Billing tab. The
 * sign-ins name no user or number, so they outlive a deleted account and the totals stay right.
 */
export function passkeys({ dialect }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('credential_id', 'text', (c) => c.notNull().unique())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('user_handle', 'text', (c) => c.notNull())
        .addColumn('device_type', 'text', (c) => c.notNull())
        .addColumn('backed_up', 'integer', (c) => c.notNull())
        .addColumn('aaguid', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute()
      await db.schema.createIndex('passkeys_user').on('passkeys').column('user_id').execute()

      await db.schema
        .createTable('passkey_challenges')
        .addColumn('challenge', 'text', (c) => c.primaryKey().notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('user_id', 'integer')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('passkey_challenges_expires')
        .on('passkey_challenges')
        .column('expires_at')
        .execute()

      await db.schema
        .createTable('passkey_sign_ins')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('country', 'text', (c) => c.notNull())
        .addColumn('provider', 'text')
        .addColumn('saved', dialect === 'postgres' ? 'double precision' : 'real')
        .addColumn('currency', 'text')
        .addColumn('saved_usd', dialect === 'postgres' ? 'double precision' : 'real')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('passkey_sign_ins_created')
        .on('passkey_sign_ins')
        .column('created_at')
        .execute()
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['passkey_sign_ins', 'passkey_challenges', 'passkeys'])
        await db.schema.dropTable(t).execute()
    },
  }
}
