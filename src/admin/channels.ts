import type { Db } from '../db/index.js'

/** Statuses of an attempt a gateway accepted (a refused one never reached the user, so it has no rate). */
const ACCEPTED = ['queued', 'sent', 'delivered', 'undelivered', 'unknown'] as const

const rate = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null
const usd = (n: number) => Math.round(n * 10_000) / 10_000

export interface ChannelFigures {
  /** Attempts made through the channel (refused ones included). */
  attempts: number
  /** Attempts its gateways accepted. */
  accepted: number
  /** Accepted attempts a report said were delivered. */
  delivered: number
  /** delivered / accepted; null without accepted attempts. */
  delivery_rate: number | null
  /** What the attempts cost, in dollars, refunds included (a Telegram message not delivered costs 0). */
  cost_usd: number
}

/**
 * The SMS log by channel (sms, telegram) between two times: attempts, delivery rate and cost, and how often
 * a code had to be sent again because its delivery was not reported in time (`fallback = 'delivery'`), as a
 * share of the codes sent. Read over Kysely: the same query on both SQL engines.
 */
export async function channelReport(db: Db, startMs: number, endMs: number) {
  const perChannel = await db
    .selectFrom('sms_log')
    .select((eb) => [
      'channel',
      eb.fn.countAll<number>().as('attempts'),
      eb.fn
        .sum<number>(
          eb
            .case()
            .when('status', 'in', [...ACCEPTED])
            .then(1)
            .else(0)
            .end(),
        )
        .as('accepted'),
      eb.fn.sum<number>(eb.case().when('status', '=', 'delivered').then(1).else(0).end()).as('delivered'),
      eb.fn.coalesce(eb.fn.sum<number>('cost_usd'), eb.lit(0)).as('cost'),
      eb.fn.sum<number>(eb.case().when('fallback', '=', 'delivery').then(1).else(0).end()).as('fallbacks'),
    ])
    .where('created_at', '>=', startMs)
    .where('created_at', '<', endMs)
    .groupBy('channel')
    .execute()
  const codes = await db
    .selectFrom('sms_log')
    .select((eb) => eb.fn.count<number>('request_id').distinct().as('n'))
    .where('created_at', '>=', startMs)
    .where('created_at', '<', endMs)
    .executeTakeFirstOrThrow()
  const channels: Record<'sms' | 'telegram', ChannelFigures> = {
    sms: { attempts: 0, accepted: 0, delivered: 0, delivery_rate: null, cost_usd: 0 },
    telegram: { attempts: 0, accepted: 0, delivered: 0, delivery_rate: null, cost_usd: 0 },
  }
  let fallbacks = 0
  for (const row of perChannel) {
    const accepted = Number(row.accepted ?? 0)
    const delivered = Number(row.delivered ?? 0)
    channels[row.channel === 'telegram' ? 'telegram' : 'sms'] = {
      attempts: Number(row.attempts),
      accepted,
      delivered,
      delivery_rate: rate(delivered, accepted),
      cost_usd: usd(Number(row.cost)),
    }
    fallbacks += Number(row.fallbacks ?? 0)
  }
  const sent = Number(codes.n)
  return {
    channels,
    /** Codes (requests) with at least one attempt in the window. */
    codes: sent,
    /** Attempts made because the step before did not report delivery in time. */
    delivery_fallbacks: fallbacks,
    fallback_rate: rate(fallbacks, sent),
  }
}

export type ChannelReport = Awaited<ReturnType<typeof channelReport>>
