import type { SqliteConnection } from '../../db/sqlite.js'
import type { BlockedPrefix, BlockStore, NewBlock } from './index.js'

const IN_FORCE = 'removed_at is null and (expires_at is null or expires_at > ?)'

export class SqliteBlockStore implements BlockStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  async block(block: NewBlock, now = Date.now()): Promise<void> {
    const upsert = this.sqlite.prepare(
      `insert into blocked_prefixes
         (prefix, reason, detail, created_by, created_at, expires_at, removed_at, removed_by)
       values (?, ?, ?, ?, ?, ?, null, null)
       on conflict (prefix) do update set reason = excluded.reason, detail = excluded.detail,
         created_by = excluded.created_by, created_at = excluded.created_at,
         expires_at = excluded.expires_at, removed_at = null, removed_by = null`,
    )
    await this.sqlite.write(() =>
      upsert.run(block.prefix, block.reason, block.detail, block.createdBy, now, block.expiresAt),
    )
  }

  async remove(prefix: string, removedBy: string, now = Date.now()): Promise<boolean> {
    const update = this.sqlite.prepare(
      `update blocked_prefixes set removed_at = ?, removed_by = ? where prefix = ? and ${IN_FORCE}`,
    )
    return (await this.sqlite.write(() => update.run(now, removedBy, prefix, now).changes)) > 0
  }

  async list(options: { all?: boolean; now?: number } = {}): Promise<BlockedPrefix[]> {
    if (options.all)
      return this.sqlite
        .prepare('select * from blocked_prefixes order by created_at desc')
        .all() as BlockedPrefix[]
    return this.sqlite
      .prepare(`select * from blocked_prefixes where ${IN_FORCE} order by created_at desc`)
      .all(options.now ?? Date.now()) as BlockedPrefix[]
  }

  async current(now: number, liftedSince: number): Promise<BlockedPrefix[]> {
    return this.sqlite
      .prepare(`select * from blocked_prefixes where (${IN_FORCE}) or removed_at > ?`)
      .all(now, liftedSince) as BlockedPrefix[]
  }
}
