import type { Kysely } from 'kysely'

// One index on refresh_tokens (user_id, family_id) where there were two, one per column. Revoking a family
// (a reused token, a logout) knows the user as well, and deleting a user finds its tokens by the index's
// first column; every sign-in and refresh now writes three index entries instead of four, and the one
// saved landed on a page no other write of its batch shared (docs/SCALING.md).
export function refreshTokensByUser() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('refresh_tokens_user_family')
        .on('refresh_tokens')
        .columns(['user_id', 'family_id'])
        .execute()
      await db.schema.dropIndex('refresh_tokens_family').execute()
      await db.schema.dropIndex('refresh_tokens_user').execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute()
      await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute()
      await db.schema.dropIndex('refresh_tokens_user_family').execute()
    },
  }
}
