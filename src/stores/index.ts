import type { DatabaseHandle } from '../db/index.js'
import type { RedisBackend } from '../redis.js'
import type { BlockStore } from './blocks/index.js'
import { PostgresBlockStore } from './blocks/postgres.js'
import { SqliteBlockStore } from './blocks/sqlite.js'
import type { CodeStore } from './codes/index.js'
import { PostgresCodeStore } from './codes/postgres.js'
import { RedisCodeStore } from './codes/redis.js'
import { SqliteCodeStore } from './codes/sqlite.js'
import type { LimitStore } from './limits/index.js'
import { PostgresLimitStore } from './limits/postgres.js'
import { RedisLimitStore } from './limits/redis.js'
import { SqliteLimitStore } from './limits/sqlite.js'
import type { SessionStore } from './sessions/index.js'
import { PostgresSessionStore } from './sessions/postgres.js'
import { SqliteSessionStore } from './sessions/sqlite.js'
import type { SmsLogStore } from './sms-log/index.js'
import { PostgresSmsLogStore } from './sms-log/postgres.js'
import { SqliteSmsLogStore } from './sms-log/sqlite.js'
import type { StatsStore } from './stats/index.js'
import { PostgresStatsStore } from './stats/postgres.js'
import { SqliteStatsStore } from './stats/sqlite.js'

/**
 * Every aggregate the service keeps, each behind its interface (src/stores/<aggregate>/index.ts). Services
 * receive these and never learn which engine is underneath.
 */
export interface Stores {
  codes: CodeStore
  sessions: SessionStore
  smsLog: SmsLogStore
  limits: LimitStore
  blocks: BlockStore
  stats: StatsStore
}

/**
 * The one place an engine is chosen: pending codes and limit counters go to Redis when it is configured
 * (short-lived, shared by every instance), everything else to the SQL database.
 */
export function openStores(database: DatabaseHandle, redis: RedisBackend | null): Stores {
  if (database.kind === 'sqlite') {
    const { sqlite } = database
    return {
      codes: redis ? new RedisCodeStore(redis) : new SqliteCodeStore(sqlite),
      sessions: new SqliteSessionStore(sqlite),
      smsLog: new SqliteSmsLogStore(sqlite),
      limits: redis ? new RedisLimitStore(redis) : new SqliteLimitStore(sqlite),
      blocks: new SqliteBlockStore(sqlite),
      stats: new SqliteStatsStore(sqlite),
    }
  }
  const { pool } = database
  return {
    codes: redis ? new RedisCodeStore(redis) : new PostgresCodeStore(pool),
    sessions: new PostgresSessionStore(pool),
    smsLog: new PostgresSmsLogStore(pool),
    limits: redis ? new RedisLimitStore(redis) : new PostgresLimitStore(pool),
    blocks: new PostgresBlockStore(pool),
    stats: new PostgresStatsStore(pool),
  }
}

export type { RedisBackend }
