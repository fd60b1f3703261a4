import type { DatabaseHandle } from '../db/index.js'
import type { RedisBackend } from '../redis.js'
import type { BlockStore } from './blocks/index.js'
import { PostgresBlockStore } from './blocks/postgres.js'
import { SqliteBlockStore } from './blocks/sqlite.js'
import type { CodeStore } from './codes/index.js'
import { PostgresCodeStore } from './codes/postgres.js'
import { RedisCodeStore } from './codes/redis.js'
import { SqliteCodeStore } from './codes/sqlite.js'
import type { DriverStore } from './drivers/index.js'
import { PostgresDriverStore } from './drivers/postgres.js'
import { SqliteDriverStore } from './drivers/sqlite.js'
import type { SigningKeyStore } from './keys/index.js'
import { PostgresSigningKeyStore } from './keys/postgres.js'
import { SqliteSigningKeyStore } from './keys/sqlite.js'
import type { LimitStore } from './limits/index.js'
import { PostgresLimitStore } from './limits/postgres.js'
import { RedisLimitStore } from './limits/redis.js'
import { SqliteLimitStore } from './limits/sqlite.js'
import type { ChallengeStore, PasskeyStore } from './passkeys/index.js'
import { PostgresChallengeStore, PostgresPasskeyStore } from './passkeys/postgres.js'
import { RedisChallengeStore } from './passkeys/redis.js'
import { SqliteChallengeStore, SqlitePasskeyStore } from './passkeys/sqlite.js'
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
  drivers: DriverStore
  keys: SigningKeyStore
  passkeys: PasskeyStore
  /** WebAuthn challenges: in Redis when it is configured, like codes. */
  challenges: ChallengeStore
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
      drivers: new SqliteDriverStore(sqlite),
      keys: new SqliteSigningKeyStore(sqlite),
      passkeys: new SqlitePasskeyStore(sqlite),
      challenges: redis ? new RedisChallengeStore(redis) : new SqliteChallengeStore(sqlite),
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
    drivers: new PostgresDriverStore(pool),
    keys: new PostgresSigningKeyStore(pool),
    passkeys: new PostgresPasskeyStore(pool),
    challenges: redis ? new RedisChallengeStore(redis) : new PostgresChallengeStore(pool),
  }
}

export type { RedisBackend }
