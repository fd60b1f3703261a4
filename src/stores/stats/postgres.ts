import type { Pool } from 'pg'
import type { OtpEvent, StatsStore } from './index.js'

const COLUMNS = ['id', 'kind', 'phone', 'country', 'ip', 'created_at'] as const

export class PostgresStatsStore implements StatsStore {
  constructor(private readonly pool: Pool) {}

  /** One multi-row INSERT: one round trip however many rows (the caller sends at most a few hundred). */
  async add(events: readonly OtpEvent[]): Promise<void> {
    if (events.length === 0) return
    const values: unknown[] = []
    const rows = events.map((e) => {
      const first = values.length
      values.push(...COLUMNS.map((c) => e[c]))
      return `(${COLUMNS.map((_, i) => `$${first + i + 1}`).join(', ')})`
    })
    await this.pool.query(`insert into otp_events (${COLUMNS.join(', ')}) values ${rows.join(', ')}`, values)
  }
}
