import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './context.js'

/**
 * The keys access tokens are signed with (src/tokens/keys.ts): the public half as a JWK, the private half
 * sealed under a key derived from SECRET_KEY. The partial unique index admits one unretired row at most,
 * so instances racing to make the first key, or two rotations at once, cannot leave two current keys.
 */
export function signingKeys(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('signing_keys')
        // NOT NULL spelled out: SQLite lets a text primary key hold NULL.
        .addColumn('kid', 'text', (c) => c.primaryKey().notNull())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute()
      // The same statement on both engines: an expression index restricted to the current key.
      await sql`create unique index signing_keys_one_current on signing_keys ((retired_at is null))
        where retired_at is null`.execute(db)
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('signing_keys').execute()
    },
  }
}
