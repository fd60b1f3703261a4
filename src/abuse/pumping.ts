import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { AppError } from '../errors.js'
import { tooMany } from '../limits/index.js'
import type { Phone } from '../phone/index.js'
import { type BlockStore, isActive } from '../stores/blocks/index.js'
import { BlockCache, numberPrefix } from './blocks.js'
import { DAY_SECONDS } from './limiters.js'
import { abuseMetrics } from './metrics.js'

/**
 * How stale the in-memory list of blocked prefixes may get: a block made by the CLI or another instance is
 * honoured within this time (blocks made or lifted by this process at once).
 */
export const BLOCKS_REFRESH_MS = 1000

/** The state of a number's prefix before sending: its key and when an operator last cleared it. */
export interface PrefixState {
  prefix: string
  clearedAt: number | null
}

/**
 * The SMS-pumping detector: groups numbers by prefix, blocks a prefix that receives too many codes or
 * verifies too few of them, and refuses the numbers of a blocked prefix.
 */
export class PumpingDetector {
  /** The blocked prefixes, read at most once per BLOCKS_REFRESH_MS. */
  readonly blocks: BlockCache
  private readonly settings: Config['abuse']['pumping']
  private readonly store: BlockStore
  private readonly log: Logger

  constructor(options: { pumping: Config['abuse']['pumping']; store: BlockStore; log: Logger }) {
    this.settings = options.pumping
    this.store = options.store
    this.log = options.log
    this.blocks = new BlockCache({
      store: options.store,
      ttlMs: BLOCKS_REFRESH_MS,
      windowMs: options.pumping.windowSeconds * 1000,
    })
  }

  /** The prefix a number's pumping counters and blocks go by. */
  prefixOf(e164: string): string {
    return numberPrefix(e164, this.settings.dropDigits)
  }

  /** Refuses a number whose prefix is blocked (429 OTP_PREFIX_BLOCKED). */
  async checkPrefix(phone: Phone): Promise<PrefixState> {
    const prefix = this.prefixOf(phone.e164)
    const now = Date.now()
    const block = await this.blocks.find(prefix, now)
    if (block && isActive(block, now)) {
      abuseMetrics.limitRejections.inc({ limit: 'prefix_blocked' })
      const seconds =
        block.expires_at === null ? DAY_SECONDS : Math.max(1, Math.ceil((block.expires_at - now) / 1000))
      throw tooMany('OTP_PREFIX_BLOCKED', seconds)
    }
    return { prefix, clearedAt: block?.removed_at ?? null }
  }

  /**
   * Many codes sent to a prefix and almost none verified is the signature of pumping: the numbers belong to
   * whoever is paid per delivered SMS, and no one types the codes in. `sent` counts this send too.
   */
  async checkVerifyRate(state: PrefixState, sent: number, verified: number): Promise<void> {
    const p = this.settings
    // The code being sent now cannot have been verified yet: judge the ones before it.
    const before = sent - 1
    if (before < p.minSample || verified / before >= p.minVerifyRate) return
    const refusal = await this.blockOrAllow(
      state,
      'verify_rate',
      `${verified} of ${before} codes verified in ${p.windowSeconds} s (below ${p.minVerifyRate})`,
    )
    if (refusal) throw refusal
  }

  /** Blocks the prefix, unless an operator cleared it within the current window. */
  async blockOrAllow(
    state: PrefixState,
    reason: 'volume' | 'verify_rate',
    detail: string,
  ): Promise<AppError | null> {
    const p = this.settings
    const now = Date.now()
    if (state.clearedAt !== null && state.clearedAt > now - p.windowSeconds * 1000) return null
    await this.store.block(
      { prefix: state.prefix, reason, detail, createdBy: 'auto', expiresAt: now + p.blockSeconds * 1000 },
      now,
    )
    this.blocks.changed()
    abuseMetrics.prefixBlocks.inc({ reason })
    this.log.warn(
      { prefix: state.prefix, reason, detail, blockSeconds: p.blockSeconds },
      `🚫 Prefix ${state.prefix} blocked for ${p.blockSeconds} s (possible SMS pumping): ${detail}`,
    )
    return tooMany('OTP_PREFIX_BLOCKED', p.blockSeconds)
  }
}
