import { type RateLimiterAbstract, RateLimiterRedis } from 'rate-limiter-flexible'
import type { RedisBackend } from '../../redis.js'
import type { LimitRow, LimitSpec, LimitStore } from './index.js'

export class RedisLimitStore implements LimitStore {
  readonly specs: LimitSpec[] = []

  constructor(private readonly redis: RedisBackend) {}

  /** Every key of the limit starts with this, then `:` and the limiter's key. */
  private prefix(name: string): string {
    return `${this.redis.keyPrefix}limit:${name}`
  }

  async create(spec: LimitSpec): Promise<RateLimiterAbstract> {
    this.specs.push(spec)
    return new RateLimiterRedis({
      points: spec.points,
      duration: spec.durationSeconds,
      storeClient: this.redis.client,
      keyPrefix: this.prefix(spec.name),
      useRedisPackage: false,
    })
  }

  /**
   * One GET. rate-limiter-flexible's own `get` sends a MULTI of GET and PTTL, which ioredis writes on its own
   * instead of in the turn's auto-pipeline; a key's value and its expiry are one, so a GET is as atomic.
   */
  async consumed(limiter: RateLimiterAbstract, key: string): Promise<number> {
    return Number((await this.redis.client.get(limiter.getKey(key))) ?? 0)
  }

  async sweep(): Promise<number> {
    return 0
  }

  async atLimit(spec: LimitSpec, now: number): Promise<LimitRow[]> {
    const { client } = this.redis
    const prefix = this.prefix(spec.name)
    const rows: LimitRow[] = []
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
        if (!Number.isFinite(points) || ttl === -2 || points < spec.points) return
        rows.push({ key: k.slice(prefix.length + 1), points, expire: ttl >= 0 ? now + ttl : null })
      })
    } while (cursor !== '0')
    return rows
  }
}
