import type { Pool } from 'pg'
import { inTransaction } from '../../db/postgres.js'
import type { NewSigningKey, SigningKey, SigningKeyStore } from './index.js'

const INSERT = `insert into signing_keys (kid, alg, public_jwk, private_sealed, created_at, retired_at)
  values ($1, $2, $3, $4, $5, null)`

const row = (key: NewSigningKey, now: number) =>
  [key.kid, key.alg, key.publicJwk, key.sealedPrivate, now] as const

export class PostgresSigningKeyStore implements SigningKeyStore {
  constructor(private readonly pool: Pool) {}

  async list(): Promise<SigningKey[]> {
    const { rows } = await this.pool.query<SigningKey>(
      'select * from signing_keys order by created_at desc, kid desc',
    )
    return rows
  }

  async createFirst(key: NewSigningKey, now = Date.now()): Promise<boolean> {
    // No conflict target: the conflict that matters is the unique index over the unretired rows.
    const { rowCount } = await this.pool.query(`${INSERT} on conflict do nothing`, [...row(key, now)])
    return (rowCount ?? 0) > 0
  }

  async rotate(key: NewSigningKey, now = Date.now()): Promise<string[]> {
    // Rotations take turns (the lock conflicts with itself, not with readers), so each one's update, which
    // reads after the lock is held, sees the key the one before made and retires it; without the turns, the
    // second of two rotations would retire nothing and its insert meet the first one's key in the unique index.
    return await inTransaction(this.pool, async (client) => {
      await client.query('lock table signing_keys in share row exclusive mode')
      const { rows } = await client.query<{ kid: string }>(
        'update signing_keys set retired_at = $1 where retired_at is null returning kid',
        [now],
      )
      await client.query(INSERT, [...row(key, now)])
      return rows.map((r) => r.kid)
    })
  }

  async dropRetired(retiredBefore: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ kid: string }>(
      'delete from signing_keys where retired_at is not null and retired_at <= $1 returning kid',
      [retiredBefore],
    )
    return rows.map((r) => r.kid)
  }
}
