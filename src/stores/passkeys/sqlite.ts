import type { SqliteConnection } from '../../db/sqlite.js'
import type {
  AddRefusal,
  Challenge,
  ChallengePurpose,
  ChallengeStore,
  NewPasskey,
  Passkey,
  PasskeySignIn,
  PasskeyStore,
} from './index.js'

const INSERT = `insert into passkeys (id, user_id, credential_id, public_key, counter, transports, user_handle,
    device_type, backed_up, aaguid, name, created_at, last_used_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)`
const SIGN_IN = `insert into passkey_sign_ins (id, app, country, provider, saved, currency, saved_usd, created_at)
  values (?, ?, ?, ?, ?, ?, ?, ?)`

/** Passkeys in the embedded database; `add` checks and inserts in one write, so registrations run one by one. */
export class SqlitePasskeyStore implements PasskeyStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  add(p: NewPasskey, max: number, now: number): Promise<AddRefusal | null> {
    return this.sqlite.write((): AddRefusal | null => {
      if (!this.sqlite.prepare('select 1 from users where id = ?').get(p.userId)) return 'no_user'
      if (this.sqlite.prepare('select 1 from passkeys where credential_id = ?').get(p.credentialId))
        return 'duplicate'
      const { n } = this.sqlite
        .prepare('select count(*) as n from passkeys where user_id = ?')
        .get(p.userId) as {
        n: number
      }
      if (n >= max) return 'full'
      this.sqlite
        .prepare(INSERT)
        .run(
          p.id,
          p.userId,
          p.credentialId,
          p.publicKey,
          p.counter,
          JSON.stringify(p.transports),
          p.userHandle,
          p.deviceType,
          p.backedUp ? 1 : 0,
          p.aaguid,
          p.name,
          now,
        )
      return null
    })
  }

  async list(userId: number): Promise<Passkey[]> {
    return this.sqlite
      .prepare('select * from passkeys where user_id = ? order by created_at desc, id desc')
      .all(userId) as Passkey[]
  }

  async byCredential(credentialId: string): Promise<Passkey | null> {
    return (
      (this.sqlite.prepare('select * from passkeys where credential_id = ?').get(credentialId) as
        | Passkey
        | undefined) ?? null
    )
  }

  async use(id: string, seen: number, counter: number, now: number): Promise<boolean> {
    const result = await this.sqlite.run(
      'update passkeys set counter = ?, last_used_at = ? where id = ? and counter = ?',
      counter,
      now,
      id,
      seen,
    )
    return result.changes > 0
  }

  async remove(userId: number, id: string): Promise<boolean> {
    return (
      (await this.sqlite.run('delete from passkeys where id = ? and user_id = ?', id, userId)).changes > 0
    )
  }

  async recordSignIn(s: PasskeySignIn): Promise<void> {
    await this.sqlite.run(
      SIGN_IN,
      s.id,
      s.app,
      s.country,
      s.provider,
      s.saved?.amount ?? null,
      s.saved?.currency ?? null,
      s.saved?.usd ?? null,
      s.at,
    )
  }
}

interface ChallengeRow {
  purpose: ChallengePurpose
  user_id: number | null
  expires_at: number
}

/** Challenges in the embedded database: `take` is one `delete … returning`, so one taker gets each. */
export class SqliteChallengeStore implements ChallengeStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  async save(challenge: string, c: Challenge): Promise<void> {
    await this.sqlite.run(
      'insert into passkey_challenges (challenge, purpose, user_id, expires_at) values (?, ?, ?, ?)',
      challenge,
      c.purpose,
      c.userId,
      c.expiresAt,
    )
  }

  take(challenge: string, now: number): Promise<Challenge | null> {
    const take = this.sqlite.prepare(
      'delete from passkey_challenges where challenge = ? returning purpose, user_id, expires_at',
    )
    return this.sqlite.write(() => {
      const row = take.get(challenge) as ChallengeRow | undefined
      // An expired one is removed all the same: it can never be answered.
      if (!row || row.expires_at <= now) return null
      return { purpose: row.purpose, userId: row.user_id, expiresAt: row.expires_at }
    })
  }

  async sweep(now: number): Promise<void> {
    await this.sqlite.run('delete from passkey_challenges where expires_at <= ?', now)
  }
}
