import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './context.js'

// Two indexes of refresh_tokens go, each of which took an entry at a random place of its B-tree on every
// sign-in and refresh (on SQLite a page that no other write of its batch shared; docs/SCALING.md):
// - the unique index on the tokens' HMACs: a token now names its row (`<id>.<secret>`,
//   SessionService.newToken) and is found by the primary key. Tokens issued before this migration have no
//   id in them and are refused (REFRESH_TOKEN_INVALID): their users sign in again. Replace every instance
//   at once across this migration, not one by one: an older instance issues tokens a newer one refuses,
//   and looks tokens up by an HMAC that no index holds any more.
// - one of the two on user_id and family_id: a single (user_id, family_id) index serves a family's
//   revocation (which knows the user as well) and a user's deletion (its first column).
// SQLite cannot drop a UNIQUE column constraint, so there the table is rebuilt. On PostgreSQL a plain CREATE
// INDEX holds writes to the table back while it builds: on a large table, build it first with
// `create index concurrently refresh_tokens_user_family on refresh_tokens (user_id, family_id)`, and the
// migration keeps it.
export function refreshTokensSplit({ dialect }: MigrationContext) {
  const columns = sql.raw(
    'id, user_id, family_id, token_hash, created_at, expires_at, rotated_at, revoked_at',
  )
  // In one transaction (Kysely runs SQLite's migrations outside one): a rebuild is all or nothing.
  const rebuild = (outer: Kysely<unknown>, before: boolean) =>
    outer.transaction().execute(async (db) => {
      await db.schema
        .createTable('refresh_tokens_rebuilt')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => (before ? c.notNull().unique() : c.notNull()))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('rotated_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute()
      await sql`insert into refresh_tokens_rebuilt (${columns}) select ${columns} from refresh_tokens`.execute(
        db,
      )
      await db.schema.dropTable('refresh_tokens').execute()
      await db.schema.alterTable('refresh_tokens_rebuilt').renameTo('refresh_tokens').execute()
      await (before ? oneIndexEach(db) : userFamilyIndex(db))
    })
  const userFamilyIndex = (db: Kysely<unknown>) =>
    db.schema
      .createIndex('refresh_tokens_user_family')
      .ifNotExists()
      .on('refresh_tokens')
      .columns(['user_id', 'family_id'])
      .execute()
  const oneIndexEach = async (db: Kysely<unknown>) => {
    await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute()
    await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute()
  }
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'sqlite') return await rebuild(db, false)
      await userFamilyIndex(db)
      await db.schema.dropIndex('refresh_tokens_family').execute()
      await db.schema.dropIndex('refresh_tokens_user').execute()
      await db.schema.alterTable('refresh_tokens').dropConstraint('refresh_tokens_token_hash_key').execute()
    },
    async down(db: Kysely<unknown>) {
      if (dialect === 'sqlite') return await rebuild(db, true)
      await db.schema
        .alterTable('refresh_tokens')
        .addUniqueConstraint('refresh_tokens_token_hash_key', ['token_hash'])
        .execute()
      await oneIndexEach(db)
      await db.schema.dropIndex('refresh_tokens_user_family').execute()
    },
  }
}
