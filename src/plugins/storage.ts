import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { describeError } from '../cli/context.js'
import type { Config } from '../config.js'
import { type DatabaseHandle, describeDatabase, migrate, openDatabase, ping } from '../db/index.js'
import { openRedis } from '../redis.js'
import { openStores, type Stores } from '../stores/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The open database and Redis connection: for /ready, the admin read model and tests. */
    storage: { db: DatabaseHandle; redis: Redis | null }
    stores: Stores
  }
}

/** Opens and migrates the database, connects Redis when configured, and builds the stores over them. */
export const storagePlugin = fp(
  async (app: FastifyInstance, { config }: { config: Pick<Config, 'database' | 'redis'> }) => {
    const db = openDatabase(config.database, { groupCommit: true, onWarning: (m) => app.log.warn(m) })
    let redis: Redis | null = null
    try {
      // A database that cannot be reached is named with its address (never its password) before anything else.
      await ping(db.db).catch((err: unknown) => {
        throw new Error(`${databaseAddress(config.database)} is unreachable: ${describeError(err)}`, {
          cause: err,
        })
      })
      await migrate(db)
      if (config.redis) redis = await openRedis(config.redis)
    } catch (err) {
      await db.close()
      redis?.disconnect()
      throw err
    }
    const stores = openStores(
      db,
      redis && config.redis ? { client: redis, keyPrefix: config.redis.keyPrefix } : null,
    )
    app.decorate('storage', { db, redis })
    app.decorate('stores', stores)
    // Registered first, so closed last: every other plugin's closing writes go out while the database is open.
    app.addHook('onClose', async () => {
      redis?.disconnect()
      await db.close()
    })
  },
  { name: 'storage' },
)

/** "PostgreSQL at host:port/database" or "SQLite at /path": the database a start-up error is about. */
export function databaseAddress(database: Config['database']): string {
  return describeDatabase(database).replace(/^(\S+) /, '$1 at ')
}
