import type { SqliteConnection } from '../../db/sqlite.js'
import type { NewSigningKey, SigningKey, SigningKeyStore } from './index.js'

const INSERT = `insert into signing_keys (kid, alg, public_jwk, private_sealed, created_at, retired_at)
  values (?, ?, ?, ?, ?, null)`

const row = (key: NewSigningKey, now: number) =>
  [key.kid, key.alg, key.publicJwk, key.sealedPrivate, now] as const

export class SqliteSigningKeyStore implements SigningKeyStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  async list(): Promise<SigningKey[]> {
    return this.sqlite
      .prepare('select * from signing_keys order by created_at desc, kid desc')
      .all() as SigningKey[]
  }

  async createFirst(key: NewSigningKey, now = Date.now()): Promise<boolean> {
    // No conflict target: the conflict that matters is the unique index over the unretired rows.
    const result = await this.sqlite.run(`${INSERT} on conflict do nothing`, ...row(key, now))
    return result.changes > 0
  }

  async rotate(key: NewSigningKey, now = Date.now()): Promise<string[]> {
    const retire = this.sqlite.prepare(
      'update signing_keys set retired_at = ? where retired_at is null returning kid',
    )
    const insert = this.sqlite.prepare(INSERT)
    // One transaction (or savepoint): its first statement writes, so another process's rotation either
    // committed before it (and its key is the one retired here) or waits for it.
    return await this.sqlite.write(() => {
      const retired = (retire.all(now) as { kid: string }[]).map((r) => r.kid)
      insert.run(...row(key, now))
      return retired
    })
  }

  async dropRetired(retiredBefore: number): Promise<string[]> {
    const drop = this.sqlite.prepare(
      'delete from signing_keys where retired_at is not null and retired_at <= ? returning kid',
    )
    return await this.sqlite.write(() => (drop.all(retiredBefore) as { kid: string }[]).map((r) => r.kid))
  }
}
