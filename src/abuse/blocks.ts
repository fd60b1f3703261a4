import type { BlockedPrefix, BlockStore } from '../stores/blocks/index.js'

/** The prefix a number is grouped under for pumping detection: the number without its last `dropDigits`. */
export function numberPrefix(e164: string, dropDigits: number): string {
  return e164.slice(0, Math.max(2, e164.length - dropDigits))
}

/**
 * The prefixes that matter to a send, held in memory: blocks in force, and blocks an operator lifted within
 * the detector's window (the detector leaves those alone). The whole set is read again when it is older than
 * `ttlMs`, with one query however many sends ask at that moment, so a send does not read the table: a block
 * made by the CLI or another instance is honoured within `ttlMs`, one made or lifted by this process at once
 * (`changed()`). The set is small: a few hundred prefixes under a sustained attack.
 */
export class BlockCache {
  private rows = new Map<string, BlockedPrefix>()
  private loadedAt = Number.NEGATIVE_INFINITY
  private loading: Promise<void> | null = null
  /** Bumped by `changed()`, so a load that began before a change does not count as fresh. */
  private generation = 0
  private readonly store: BlockStore
  private readonly ttlMs: number
  private readonly windowMs: number

  constructor(options: { store: BlockStore; ttlMs: number; windowMs: number }) {
    this.store = options.store
    this.ttlMs = options.ttlMs
    this.windowMs = options.windowMs
  }

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
        const rows = await this.store.current(now, now - this.windowMs)
        this.rows = new Map(rows.map((r) => [r.prefix, r]))
        if (generation === this.generation) this.loadedAt = now
      } finally {
        this.loading = null
      }
    })()
    await this.loading
  }
}
