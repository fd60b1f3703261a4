import type { Redis } from 'ioredis'
import type { Config } from './config.js'

/** Redis as the stores use it: the client and the prefix every key of this deployment starts with. */
export interface RedisBackend {
  client: Redis
  keyPrefix: string
}

/**
 * Connects and waits until Redis answers. Commands fail at once while the connection is down (no offline
 * queue) so that sending fails closed with a 503 instead of hanging; ioredis keeps reconnecting by itself.
 */
export async function openRedis(config: NonNullable<Config['redis']>): Promise<Redis> {
  // Loaded only when REDIS_URL is set: the embedded default never needs the client.
  const { Redis: Client } = await import('ioredis')
  const redis = new Client(config.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same turn of the event loop go out as one pipeline: a send-otp takes its
    // counters concurrently (abuse/guard.ts), so they cost one round trip instead of one each.
    enableAutoPipelining: true,
  })
  // Connection errors are reported through failed commands and /ready; an unhandled 'error' event would crash.
  redis.on('error', () => {})
  await redis.connect()
  return redis
}
