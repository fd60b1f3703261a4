import type { Redis } from 'ioredis'

/** REDIS_URL and REDIS_KEY_PREFIX. */
export interface RedisSettings {
  url: string
  keyPrefix: string
}

/** Redis as the stores use it: the client and the prefix every key of this deployment starts with. */
export interface RedisBackend {
  client: Redis
  keyPrefix: string
}

/**
 * Connects and waits until Redis answers. Commands fail at once while the connection is down (no offline
 * queue) so that sending fails closed with a 503 instead of hanging; ioredis keeps reconnecting by itself.
 */
export async function openRedis(config: RedisSettings): Promise<Redis> {
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
  // The last one is kept: connect() itself only says "Connection is closed.", which names neither Redis nor why.
  let lastError: unknown = null
  redis.on('error', (err) => {
    lastError = err
  })
  try {
    await redis.connect()
  } catch (err) {
    // Otherwise the client keeps reconnecting in the background of a process that failed to start.
    redis.disconnect()
    const reason = lastError ?? err
    throw new Error(
      `Redis at ${redisAddress(config.url)} is unreachable: ${reason instanceof Error ? reason.message : String(reason)}`,
      { cause: reason },
    )
  }
  return redis
}

/** host:port of a Redis URL, without its password: for log lines and start-up errors. */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || 6379}`
  } catch {
    return 'REDIS_URL'
  }
}
