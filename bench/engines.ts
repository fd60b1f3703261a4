// The storage engines a pass runs the service on: each build gets a store of its own (a SQLite file, or a
// PostgreSQL schema and a Redis key prefix), so two builds measured side by side never share a row or a key.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'

export interface Storage {
  env: Record<string, string>
  /** Between a scenario's warm-up and its measured run. */
  settle?: () => Promise<void>
  cleanup: () => Promise<void>
}

export interface Engine {
  name: string
  /** Names the profiles of its passes. */
  key: string
  /** The most throughput any scenario may lose from before to after, as a fraction (issue 28). */
  maxLoss: number
  /** Whether its pass also measures send-otp through Twilio (against a fake), on this engine. */
  withTwilio: boolean
  open(dir: string): Promise<Storage>
}

export const SQLITE: Engine = {
  name: 'SQLite (embedded defaults)',
  key: 'sqlite',
  maxLoss: 0.25,
  withTwilio: true,
  open: async (dir) => ({
    env: { DATABASE_URL: `sqlite:${join(dir, 'bench.db')}` },
    cleanup: async () => {},
  }),
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** PostgreSQL + Redis, each build in a schema and under a key prefix of its own, dropped at the end. */
export function sharedEngine(databaseUrl: string, redisUrl: string): Engine {
  return {
    name: 'PostgreSQL + Redis',
    key: 'postgres',
    maxLoss: 0.5,
    withTwilio: false,
    open: async () => {
      const schema = `bench_${randomBytes(5).toString('hex')}`
      const prefix = `bench:${randomBytes(5).toString('hex')}:`
      await withClient(databaseUrl, (c) => c.query(`create schema ${schema}`))
      const url = new URL(databaseUrl)
      url.searchParams.set('options', `-c search_path=${schema}`)
      return {
        env: { DATABASE_URL: url.toString(), REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix },
        // What autovacuum does within a minute of a table's growth, done at once: the schema is new, and
        // PostgreSQL keeps a plan chosen while a table was empty (a sequential scan) until it is analyzed.
        settle: () =>
          withClient(url.toString(), async (c) => {
            const { rows } = await c.query<{ name: string }>(
              'select tablename as name from pg_tables where schemaname = $1',
              [schema],
            )
            for (const { name } of rows) await c.query(`analyze ${schema}.${name}`)
          }),
        cleanup: async () => {
          await withClient(databaseUrl, (c) => c.query(`drop schema ${schema} cascade`))
          const redis = new Redis(redisUrl)
          let cursor = '0'
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
            if (keys.length) await redis.del(...keys)
            cursor = next
          } while (cursor !== '0')
          redis.disconnect()
        },
      }
    },
  }
}
