import { isIP } from 'node:net'
import type { Redis } from 'ioredis'
import { sql } from 'kysely'
import type { DatabaseHandle } from '../db/index.js'
import { type LimitSpec, limitRedisPrefix, limitTable, rowKeySuffix } from '../otp/limits.js'

export interface LimitedKey {
  /** The limit's name, e.g. otp_ip (requests per IP) or otp_resend (the per-number cooldown). */
  limit: string
  subject: 'ip' | 'number' | 'prefix' | 'other'
  key: string
  /** Requests counted in the current window, and the most the limit allows. */
  count: number
  max: number
  /** Seconds until the window ends and the key may send again. */
  retry_after: number
}

const subjectOf = (limit: string, key: string): LimitedKey['subject'] =>
  isIP(key) ? 'ip' : /^\+\d{2,15}$/.test(key) ? (limit.includes('prefix') ? 'prefix' : 'number') : 'other'

/**
 * The keys that are at or over a limit right now, read from wherever rate-limiter-flexible keeps them (Redis
 * or the SQL table of each limit): the limiter itself can only answer about one key.
 */
export async function limitedKeys(
  database: DatabaseHandle,
  redis: { client: Redis; keyPrefix: string } | null,
  specs: readonly LimitSpec[],
  now: number,
): Promise<LimitedKey[]> {
  const out: LimitedKey[] = []
  for (const spec of specs) {
    // A per-number limit's rows share their table with the number's other counters (`<number>:<limit>`).
    const suffix = !redis && spec.perNumber ? rowKeySuffix(spec.name) : ''
    const rows = redis
      ? await redisKeys(redis.client, limitRedisPrefix(redis.keyPrefix, spec.name), now)
      : (
          await sql<{ key: string; points: number; expire: number | null }>`
            select key, points, expire from ${sql.table(limitTable(spec))}
            where points >= ${spec.points} and (expire is null or expire > ${now})
            ${suffix ? sql`and substr(key, length(key) - ${suffix.length - 1}) = ${suffix}` : sql``}`.execute(
            database.db,
          )
        ).rows
    for (const r of rows) {
      if (Number(r.points) < spec.points) continue
      const key = r.key.slice(0, r.key.length - suffix.length)
      out.push({
        limit: spec.name,
        subject: subjectOf(spec.name, key),
        key,
        count: Number(r.points),
        max: spec.points,
        retry_after: r.expire === null ? 0 : Math.max(1, Math.ceil((Number(r.expire) - now) / 1000)),
      })
    }
  }
  return out.sort((a, b) => b.retry_after - a.retry_after)
}

async function redisKeys(client: Redis, prefix: string, now: number) {
  const rows: { key: string; points: number; expire: number | null }[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
    cursor = next
    if (keys.length === 0) continue
    const pipeline = client.pipeline()
    for (const k of keys) pipeline.get(k).pttl(k)
    const replies = (await pipeline.exec()) ?? []
    keys.forEach((k, i) => {
      const points = Number(replies[2 * i]?.[1])
      const ttl = Number(replies[2 * i + 1]?.[1])
      if (!Number.isFinite(points) || ttl === -2) return
      rows.push({ key: k.slice(prefix.length + 1), points, expire: ttl >= 0 ? now + ttl : null })
    })
  } while (cursor !== '0')
  return rows
}
