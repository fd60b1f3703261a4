import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { type DatabaseHandle, migrate, openDatabase } from '../../src/db/index.js'
import { openRedis } from '../../src/redis.js'
import { openStores, type RedisBackend, type Stores } from '../../src/stores/index.js'
import { pgUrl, postgresSchema, redisUrl } from '../helpers.js'

/** One engine the store contract tests run against. */
export interface Engine {
  name: 'sqlite' | 'postgres' | 'redis'
  /** Why this engine's tests are skipped here, or false when it is available. */
  skip: string | false
  /**
   * Fresh, migrated stores on this engine (Redis: codes and limits in Redis under a fresh key prefix, the
   * rest on SQLite), closed after the test. `groupCommit` as the server opens SQLite (default true).
   */
  open(t: TestContext, options?: { groupCommit?: boolean }): Promise<EngineStores>
}

export interface EngineStores {
  stores: Stores
  database: DatabaseHandle
  redis: RedisBackend | null
}

async function sqlite(t: TestContext, groupCommit: boolean): Promise<DatabaseHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-store-'))
  const database = openDatabase({ kind: 'sqlite', path: join(dir, 'test.db') }, { groupCommit })
  t.after(async () => {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  })
  await migrate(database)
  return database
}

/**
 * The engines, as Kysely's own tests loop over dialects: every store test is written once and runs on each
 * engine that implements its aggregate (a test for codes or limits runs on all three; the others skip
 * `redis`, which holds only those two).
 */
export const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    skip: false,
    async open(t, options = {}) {
      const database = await sqlite(t, options.groupCommit ?? true)
      return { stores: openStores(database, null), database, redis: null }
    },
  },
  {
    name: 'postgres',
    skip: pgUrl ? false : 'DATABASE_URL does not point at PostgreSQL',
    async open(t) {
      const url = await postgresSchema(t)
      const database = openDatabase({ kind: 'postgres', url })
      t.after(() => database.close())
      await migrate(database)
      return { stores: openStores(database, null), database, redis: null }
    },
  },
  {
    name: 'redis',
    skip: redisUrl ? false : 'REDIS_URL is not set',
    async open(t, options = {}) {
      const database = await sqlite(t, options.groupCommit ?? true)
      const client = await openRedis({ url: redisUrl as string, keyPrefix: '' })
      t.after(() => client.disconnect())
      const redis = { client, keyPrefix: `test:${randomBytes(6).toString('hex')}:` }
      return { stores: openStores(database, redis), database, redis }
    },
  },
]
