import type { BlockedPrefix, BlockReason } from '../../db/schema.js'

export type { BlockedPrefix, BlockReason }

export interface NewBlock {
  prefix: string
  reason: BlockReason
  detail: string
  /** 'auto' for the detector; an operator's name or 'cli' / 'admin' otherwise. */
  createdBy: string
  /** null: until removed. */
  expiresAt: number | null
}

/** Number prefixes that may not receive codes: blocked by the pumping detector or by an operator. */
export interface BlockStore {
  /** Blocks a prefix, replacing any earlier (expired, removed or current) block of it. */
  block(block: NewBlock, now?: number): Promise<void>
  /**
   * Lifts the block of a prefix; false when none is in force. The row stays, marked removed: the detector
   * leaves a prefix an operator has cleared alone for one window.
   */
  remove(prefix: string, removedBy: string, now?: number): Promise<boolean>
  /** Blocks in force at `now`, newest first; with `all`, expired and removed ones too (the history). */
  list(options?: { all?: boolean; now?: number }): Promise<BlockedPrefix[]>
  /** What a send must know: the blocks in force at `now`, and those lifted after `liftedSince`. */
  current(now: number, liftedSince: number): Promise<BlockedPrefix[]>
}

/** In force: neither lifted nor expired. */
export function isActive(block: BlockedPrefix, now: number): boolean {
  return block.removed_at === null && (block.expires_at === null || block.expires_at > now)
}
