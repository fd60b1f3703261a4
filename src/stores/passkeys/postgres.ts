import type { Pool } from 'pg'
import { inTransaction } from '../../db/postgres.js'
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

export class PostgresPasskeyStore implements PasskeyStore {
  constructor(private readonly pool: Pool) {}

  async add(p: NewPasskey, max: number, now: number): Promise<AddRefusal | null> {
    // The user's row is locked first, so registrations of one user take turns and each counts the passkeys the
    // one before added. NO KEY UPDATE: it does not hold up the key-share locks sign-ins take on the same row.
    // A refusal has written nothing, so its transaction commits as empty.
    return await inTransaction(this.pool, async (client) => {
      const user = await client.query('select 1 from users where id = $1 for no key update', [p.userId])
      let refusal: AddRefusal | null = null
      if (user.rowCount === 0) refusal = 'no_user'
      else {
        const { rows } = await client.query<{ n: number }>(
          'select count(*)::int as n from passkeys where user_id = $1',
          [p.userId],
        )
        if ((rows[0]?.n ?? 0) >= max) refusal = 'full'
        else {
          const inserted = await client.query(
            `insert into passkeys (id, user_id, credential_id, public_key, counter, transports, user_handle,
               device_type, backed_up, aaguid, name, created_at, last_used_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, null)
             on conflict (credential_id) do nothing`,
            [
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
            ],
          )
          if (inserted.rowCount === 0) refusal = 'duplicate'
        }
      }
      return refusal
    })
  }

  async list(userId: number): Promise<Passkey[]> {
    const { rows } = await this.pool.query<Passkey>(
      'select * from passkeys where user_id = $1 order by created_at desc, id desc',
      [userId],
    )
    return rows
  }

  async byCredential(credentialId: string): Promise<Passkey | null> {
    const { rows } = await this.pool.query<Passkey>('select * from passkeys where credential_id = $1', [
      credentialId,
    ])
    return rows[0] ?? null
  }

  async use(id: string, seen: number, counter: number, now: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'update passkeys set counter = $1, last_used_at = $2 where id = $3 and counter = $4',
      [counter, now, id, seen],
    )
    return (rowCount ?? 0) > 0
  }

  async remove(userId: number, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('delete from passkeys where id = $1 and user_id = $2', [
      id,
      userId,
    ])
    return (rowCount ?? 0) > 0
  }

  async recordSignIn(s: PasskeySignIn): Promise<void> {
    await this.pool.query(
      `insert into passkey_sign_ins (id, app, country, provider, saved, currency, saved_usd, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        s.id,
        s.app,
        s.country,
        s.provider,
        s.saved?.amount ?? null,
        s.saved?.currency ?? null,
        s.saved?.usd ?? null,
        s.at,
      ],
    )
  }
}

interface ChallengeRow {
  purpose: ChallengePurpose
  user_id: number | null
  expires_at: number
}

/** Challenges in PostgreSQL: `take` is one `delete … returning`, so exactly one concurrent taker gets each. */
export class PostgresChallengeStore implements ChallengeStore {
  constructor(private readonly pool: Pool) {}

  async save(challenge: string, c: Challenge): Promise<void> {
    await this.pool.query(
      'insert into passkey_challenges (challenge, purpose, user_id, expires_at) values ($1, $2, $3, $4)',
      [challenge, c.purpose, c.userId, c.expiresAt],
    )
  }

  async take(challenge: string, now: number): Promise<Challenge | null> {
    const { rows } = await this.pool.query<ChallengeRow>(
      'delete from passkey_challenges where challenge = $1 returning purpose, user_id, expires_at',
      [challenge],
    )
    const row = rows[0]
    if (!row || row.expires_at <= now) return null
    return { purpose: row.purpose, userId: row.user_id, expiresAt: row.expires_at }
  }

  async sweep(now: number): Promise<void> {
    await this.pool.query('delete from passkey_challenges where expires_at <= $1', [now])
  }
}
