import type { ExpressionBuilder } from 'kysely'
import type { Db } from '../db/index.js'
import type { Database } from '../db/schema.js'
import type { BlockStore } from '../stores/blocks/index.js'
import type { LimitStore } from '../stores/limits/index.js'
import { limitedKeys } from './limits.js'

const iso = (ms: number) => new Date(ms).toISOString()

/** A number without its last `drop` digits. A literal, not a parameter: SELECT and GROUP BY must read alike. */
const prefixOf = (eb: ExpressionBuilder<Database, 'sms_log'>, drop: number) =>
  eb.fn<string>('substr', ['phone', eb.lit(1), eb(eb.fn('length', ['phone']), '-', eb.lit(drop))])

export interface AbuseSources {
  /** The read model: otp_events and sms_log. */
  db: Db
  blocks: BlockStore
  limits: LimitStore
  /** Trailing digits dropped from a number to get its prefix (PUMPING_PREFIX_DROP_DIGITS). */
  prefixDropDigits: number
}

/**
 * Who is held back right now (prefixes blocked as SMS pumping, numbers and IPs at a rate limit), and who sends
 * the most since `since`: IPs by codes sent, number prefixes by messages. `otp_events` must be up to date (the
 * caller flushes this instance's buffer first).
 */
export async function abuseReport(sources: AbuseSources, since: number, now: number) {
  const { db, prefixDropDigits } = sources
  const limited = await limitedKeys(sources.limits, now)
  const topIps = await db
    .selectFrom('otp_events')
    .select((eb) => [
      'ip',
      eb.fn.countAll<number>().as('codes'),
      eb.fn.count<number>('phone').distinct().as('numbers'),
    ])
    .where('kind', '=', 'sent')
    .where('created_at', '>=', since)
    .where('ip', 'is not', null)
    .groupBy('ip')
    .orderBy('codes', 'desc')
    .orderBy('ip')
    .limit(10)
    .execute()
  const topPrefixes = await db
    .selectFrom('sms_log')
    .select((eb) => [
      prefixOf(eb, prefixDropDigits).as('prefix'),
      eb.fn.count<number>('request_id').distinct().as('messages'),
      eb.fn.count<number>('phone').distinct().as('numbers'),
    ])
    .where('created_at', '>=', since)
    .groupBy((eb) => prefixOf(eb, prefixDropDigits))
    .orderBy('messages', 'desc')
    .orderBy('prefix')
    .limit(10)
    .execute()
  const blocks = await sources.blocks.list({ now })
  return {
    blocks: blocks.map((b) => ({
      prefix: b.prefix,
      reason: b.reason,
      detail: b.detail,
      created_by: b.created_by,
      created_at: iso(b.created_at),
      expires_at: b.expires_at === null ? null : iso(b.expires_at),
    })),
    limited,
    top_ips: topIps.map((r) => ({
      ip: r.ip as string,
      codes: Number(r.codes),
      numbers: Number(r.numbers),
    })),
    top_prefixes: topPrefixes.map((r) => ({
      prefix: r.prefix,
      messages: Number(r.messages),
      numbers: Number(r.numbers),
    })),
  }
}
