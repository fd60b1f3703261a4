import { createRequire } from 'node:module'
import type { Pool, PoolClient } from 'pg'

// The driver is loaded only when DATABASE_URL names PostgreSQL: the embedded default never needs it.
const require = createRequire(import.meta.url)
const loadPg = () => require('pg') as typeof import('pg')

/** A connection pool for the PostgreSQL stores (src/stores/<aggregate>/postgres.ts) and Kysely. */
export function openPool(url: string): Pool {
  const pg = loadPg()
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 3000,
    // BIGINT (int8, OID 20) arrives from pg as a string to protect values above 2^53; our BIGINTs are epoch
    // milliseconds, far below that.
    types: {
      getTypeParser: (oid: number, format?: string) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
    },
  })
  // An idle client that loses its connection (the server restarted) emits 'error'; without a listener that
  // would crash the process. The pool replaces the client on the next query.
  pool.on('error', () => {})
  // A checked-out client whose connection drops mid-query both rejects the query and emits 'error'; the pool
  // listens only while the client is idle, so without this the process would crash on an outage instead of
  // answering 503. The rejected query carries the error.
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}

/** Runs `fn` in a transaction on one client of the pool: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  // A client whose ROLLBACK failed has lost its connection: the pool must not hand it out again.
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e
    })
    throw err
  } finally {
    client.release(broken)
  }
}
