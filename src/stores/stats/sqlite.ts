import type { SqliteConnection } from '../../db/sqlite.js'
import type { OtpEvent, StatsStore } from './index.js'

export class SqliteStatsStore implements StatsStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  async add(events: readonly OtpEvent[]): Promise<void> {
    if (events.length === 0) return
    // One prepared statement run per row, in one transaction: without a round trip, a multi-row INSERT
    // would only add a statement text per row count.
    const insert = this.sqlite.prepare(
      'insert into otp_events (id, kind, phone, country, ip, created_at) values (?, ?, ?, ?, ?, ?)',
    )
    await this.sqlite.write(() => {
      for (const e of events) insert.run(e.id, e.kind, e.phone, e.country, e.ip, e.created_at)
    })
  }
}
