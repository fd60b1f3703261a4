import { safeEqual } from '../../crypto.js'
import type { SqliteConnection } from '../../db/sqlite.js'
import type { Check, CodeStore, PendingCode } from './index.js'

const SAVE = `insert into otp_codes (phone, id, code_hash, attempts, created_at, expires_at)
  values (?, ?, ?, 0, ?, ?)
  on conflict (phone) do update set id = excluded.id, code_hash = excluded.code_hash, attempts = 0,
    created_at = excluded.created_at, expires_at = excluded.expires_at`
/** Counts an attempt on a live code that has attempts left, before anything is compared. */
const RESERVE = `update otp_codes set attempts = attempts + 1
  where phone = ? and expires_at > ? and attempts < ?
  returning id, code_hash, attempts`
const LIVE = 'select 1 from otp_codes where phone = ? and expires_at > ?'
const TAKE = 'delete from otp_codes where phone = ? and id = ?'
/** The last wrong attempt destroys the hash: the code can never be right again. */
const BURN = "update otp_codes set code_hash = '' where phone = ? and id = ?"
const SWEEP = 'delete from otp_codes where expires_at <= ?'
const IS_LIVE = "select 1 from otp_codes where phone = ? and id = ? and expires_at > ? and code_hash != ''"

interface Reserved {
  id: string
  code_hash: string
  attempts: number
}

/** Pending codes in the embedded database: each check is one write, so concurrent guesses run one by one. */
export class SqliteCodeStore implements CodeStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  async save(phone: string, code: PendingCode): Promise<void> {
    await this.sqlite.run(SAVE, phone, code.id, code.hash, Date.now(), code.expiresAt)
  }

  check(phone: string, hash: string, maxAttempts: number, now: number): Promise<Check> {
    return this.sqlite.write((): Check => {
      const row = this.sqlite.prepare(RESERVE).get(phone, now, maxAttempts) as Reserved | undefined
      if (!row) return this.sqlite.prepare(LIVE).get(phone, now) ? { kind: 'exhausted' } : { kind: 'none' }
      if (row.code_hash !== '' && safeEqual(hash, row.code_hash)) {
        this.sqlite.prepare(TAKE).run(phone, row.id)
        return { kind: 'right' }
      }
      const attemptsLeft = maxAttempts - row.attempts
      if (attemptsLeft <= 0) this.sqlite.prepare(BURN).run(phone, row.id)
      return { kind: 'wrong', attemptsLeft }
    })
  }

  async take(phone: string, id: string): Promise<boolean> {
    return (await this.sqlite.run(TAKE, phone, id)).changes > 0
  }

  async isLive(phone: string, id: string, now: number): Promise<boolean> {
    return this.sqlite.prepare(IS_LIVE).get(phone, id, now) !== undefined
  }

  async sweep(now: number): Promise<void> {
    await this.sqlite.run(SWEEP, now)
  }
}
