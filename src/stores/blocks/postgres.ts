import type { Pool } from 'pg'
import type { BlockedPrefix, BlockStore, NewBlock } from './index.js'

const IN_FORCE = 'removed_at is null and (expires_at is null or expires_at > $1)'

export class PostgresBlockStore implements BlockStore {
  constructor(private readonly pool: Pool) {}

  async block(block: NewBlock, now = Date.now()): Promise<void> {
    await this.pool.query(
      `insert into blocked_prefixes
         (prefix, reason, detail, created_by, created_at, expires_at, removed_at, removed_by)
       values ($1, $2, $3, $4, $5, $6, null, null)
       on conflict (prefix) do update set reason = excluded.reason, detail = excluded.detail,
         created_by = excluded.created_by, created_at = excluded.created_at,
         expires_at = excluded.expires_at, removed_at = null, removed_by = null`,
      [block.prefix, block.reason, block.detail, block.createdBy, now, block.expiresAt],
    )
  }

  async remove(prefix: string, removedBy: string, now = Date.now()): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `update blocked_prefixes set removed_at = $1, removed_by = $2 where prefix = $3 and ${IN_FORCE}`,
      [now, removedBy, prefix],
    )
    return (rowCount ?? 0) > 0
  }

  async list(options: { all?: boolean; now?: number } = {}): Promise<BlockedPrefix[]> {
    const { rows } = options.all
      ? await this.pool.query<BlockedPrefix>('select * from blocked_prefixes order by created_at desc')
      : await this.pool.query<BlockedPrefix>(
          `select * from blocked_prefixes where ${IN_FORCE} order by created_at desc`,
          [options.now ?? Date.now()],
        )
    return rows
  }

  async current(now: number, liftedSince: number): Promise<BlockedPrefix[]> {
    const { rows } = await this.pool.query<BlockedPrefix>(
      `select * from blocked_prefixes where (${IN_FORCE}) or removed_at > $2`,
      [now, liftedSince],
    )
    return rows
  }
}
