import type { Db } from '../db/index.js'
import type { BlockedPrefix, BlockReason } from '../db/schema.js'

/** The prefix a number is grouped under for pumping detection: the number without its last `dropDigits`. */
export function numberPrefix(e164: string, dropDigits: number): string {
  return e164.slice(0, Math.max(2, e164.length - dropDigits))
}

export function isActive(block: BlockedPrefix, now: number): boolean {
  return block.removed_at === null && (block.expires_at === null || block.expires_at > now)
}

/** The block in force for a prefix, if any. */
export async function activeBlock(db: Db, prefix: string, now = Date.now()): Promise<BlockedPrefix | null> {
  const row = await db
    .selectFrom('blocked_prefixes')
    .selectAll()
    .where('prefix', '=', prefix)
    .executeTakeFirst()
  return row && isActive(row, now) ? row : null
}

/**
 * The prefixes that matter to a send, held in memory: blocks in force, and blocks an operator lifted within
 * the detector's window (the detector leaves those alone). The whole set is read again when it is older than
 * `ttlMs`, with one query however many sends ask at that moment, so a send no longer reads the table: a
 * block made by the CLI or another instance is honoured within `ttlMs`, one made or lifted by this process
 * at once (`changed()`). The set is small: a few hundred prefixes under a sustained attack.
 */
export class BlockCache {
  private rows = new Map<string, BlockedPrefix>()
  private loadedAt = Number.NEGATIVE_INFINITY
  private loading: Promise<void> | null = null
  /** Bumped by `changed()`, so a load that began before a change does not count as fresh. */
  private generation = 0

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly windowMs: number,
  ) {}

  /** The stored row for a prefix if it is in force or was lifted within the window, else null. */
  async find(prefix: string, now = Date.now()): Promise<BlockedPrefix | null> {
    if (now - this.loadedAt >= this.ttlMs) await this.load(now)
    return this.rows.get(prefix) ?? null
  }

  /** This process blocked or lifted a prefix: the next send reads the table again. */
  changed(): void {
    this.generation++
    this.loadedAt = Number.NEGATIVE_INFINITY
  }

  private async load(now: number): Promise<void> {
    this.loading ??= (async () => {
      const generation = this.generation
      try {
        const rows = await this.db
          .selectFrom('blocked_prefixes')
          .selectAll()
          .where((eb) =>
            eb.or([
              eb.and([
                eb('removed_at', 'is', null),
                eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]),
              ]),
              eb('removed_at', '>', now - this.windowMs),
            ]),
          )
          .execute()
        this.rows = new Map(rows.map((r) => [r.prefix, r]))
        if (generation === this.generation) this.loadedAt = now
      } finally {
        this.loading = null
      }
    })()
    await this.loading
  }
}

export interface NewBlock {
  prefix: string
  reason: BlockReason
  detail: string
  /** 'auto' for the detector; an operator's name or 'cli' / 'admin' otherwise. */
  createdBy: string
  /** null: until removed. */
  expiresAt: number | null
}

/** Blocks a prefix, replacing any earlier (expired, removed or current) block of it. */
export async function blockPrefix(db: Db, block: NewBlock, now = Date.now()): Promise<void> {
  const row = {
    reason: block.reason,
    detail: block.detail,
    created_by: block.createdBy,
    created_at: now,
    expires_at: block.expiresAt,
    removed_at: null,
    removed_by: null,
  }
  await db
    .insertInto('blocked_prefixes')
    .values({ prefix: block.prefix, ...row })
    .onConflict((oc) => oc.column('prefix').doUpdateSet(row))
    .execute()
}

/** Blocks in force now, newest first; with `all`, expired and removed ones too (the history). */
export async function listBlocks(
  db: Db,
  options: { all?: boolean; now?: number } = {},
): Promise<BlockedPrefix[]> {
  const now = options.now ?? Date.now()
  const rows = await db.selectFrom('blocked_prefixes').selectAll().orderBy('created_at', 'desc').execute()
  return options.all ? rows : rows.filter((r) => isActive(r, now))
}

/**
 * Lifts the block of a prefix; false when none is in force. The row stays, marked removed: the detector
 * leaves a prefix an operator has cleared alone for one window, so it is not blocked again by the same
 * counts that blocked it.
 */
export async function removeBlock(
  db: Db,
  prefix: string,
  removedBy: string,
  now = Date.now(),
): Promise<boolean> {
  const result = await db
    .updateTable('blocked_prefixes')
    .set({ removed_at: now, removed_by: removedBy })
    .where('prefix', '=', prefix)
    .where('removed_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}
