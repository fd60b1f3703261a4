import Type, { type Static, type TObject } from 'typebox'
import type { DatabaseSettings } from '../db/index.js'
import type { RedisSettings } from '../redis.js'

/** Where data lives: the database (SQLite file or PostgreSQL) and, optionally, Redis. */
export const STORAGE_SETTINGS = {
  DATABASE_URL: Type.String({
    default: 'sqlite:./data/royal-taxi.db',
    pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
    description: 'sqlite:<path> or postgres://user:password@host:port/database',
  }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://.+', description: 'redis://host:port[/db]' })),
  REDIS_KEY_PREFIX: Type.String({
    default: 'royal-taxi:',
    description: 'prefix of every Redis key we write',
  }),
}

export function storageConfig(env: Static<TObject<typeof STORAGE_SETTINGS>>): {
  database: DatabaseSettings
  redis: RedisSettings | null
} {
  const sqlitePath = env.DATABASE_URL.startsWith('sqlite:') ? env.DATABASE_URL.slice('sqlite:'.length) : null
  return {
    database:
      sqlitePath !== null
        ? { kind: 'sqlite' as const, path: sqlitePath }
        : { kind: 'postgres' as const, url: env.DATABASE_URL },
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : null,
  }
}
