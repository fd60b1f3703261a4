import type { Pool } from 'pg'
import { safeEqual } from '../../crypto.js'
import type { Check, CodeStore, PendingCode } from './index.js'

const SAVE = `insert into otp_codes (phone, id, code_hash, attempts, created_at, expires_at)
  values ($1, $2, $3, 0, $4, $5)
  on conflict (phone) do update set id = excluded.id, code_hash = excluded.code_hash, attempts = 0,
    created_at = excluded.created_at, expires_at = excluded.expires_at`
/**
 * Counts an attempt on a live code that has attempts left, before anything is compared. The row lock makes
 * concurrent guesses take their attempts one after another, so no more than `max` are ever compared.
 */
const RESERVE = `update otp_codes set attempts = attempts + 1
  where phone = $1 and expires_at > $2 and attempts < $3
  returning id, code_hash, attempts`
const LIVE = 'select 1 from otp_codes where phone = $1 and expires_at > $2'
const TAKE = 'delete from otp_codes where phone = $1 and id = $2'
/** The last wrong attempt destroys the hash: the code can never be right again. */
const BURN = "update otp_codes set code_hash = '' where phone = $1 and id = $2"
const SWEEP = 'delete from otp_codes where expires_at <= $1'
const IS_LIVE = "select 1 from otp_codes where phone = $1 and id = $2 and expires_at > $3 and code_hash != ''"

interface Reserved {
  id: string
  code_hash: string
  attempts: number
}

/** Pending codes in PostgreSQL. */
export class PostgresCodeStore implements CodeStore {
  constructor(private readonly pool: Pool) {}

  async save(phone: string, code: PendingCode): Promise<void> {
    await this.pool.query(SAVE, [phone, code.id, code.hash, Date.now(), code.expiresAt])
  }

  async check(phone: string, hash: string, maxAttempts: number, now: number): Promise<Check> {
    const { rows } = await this.pool.query<Reserved>(RESERVE, [phone, now, maxAttempts])
    const row = rows[0]
    if (!row) {
      const live = await this.pool.query(LIVE, [phone, now])
      return live.rowCount ? { kind: 'exhausted' } : { kind: 'none' }
    }
    // Two right guesses may both get past the comparison; only the one that deletes the code wins.
    if (row.code_hash !== '' && safeEqual(hash, row.code_hash))
      return (await this.take(phone, row.id)) ? { kind: 'right' } : { kind: 'none' }
    const attemptsLeft = maxAttempts - row.attempts
    if (attemptsLeft <= 0) await this.pool.query(BURN, [phone, row.id])
    return { kind: 'wrong', attemptsLeft }
  }

  async take(phone: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(TAKE, [phone, id])
    return (rowCount ?? 0) > 0
  }

  async isLive(phone: string, id: string, now: number): Promise<boolean> {
    return ((await this.pool.query(IS_LIVE, [phone, id, now])).rowCount ?? 0) > 0
  }

  async sweep(now: number): Promise<void> {
    await this.pool.query(SWEEP, [now])
  }
}
