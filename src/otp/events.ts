import type { Logger } from 'pino'
import { timeOrderedId } from '../crypto.js'
import type { OtpEvent, OtpEventKind, StatsStore } from '../stores/stats/index.js'

export interface OtpEventsLimits {
  /** Rows per write: a full batch is written at once, without waiting for the delay. */
  batchSize: number
  /** How long the first row of a batch may wait for others. */
  delayMs: number
  /** Rows held while the database cannot keep up; beyond this new rows are dropped and counted. */
  maxPending: number
}

// 500 rows of 6 values stay far below PostgreSQL's bound on the parameters of one statement (65,535).
// 20 ms, not longer: rows held longer outlive young-generation collections and pile up in V8's old space
// under load.
const DEFAULT_LIMITS: OtpEventsLimits = { batchSize: 500, delayMs: 20, maxPending: 10_000 }

/**
 * Writes the record of codes sent and verified that the admin console's statistics read. Best effort: a
 * statistic that could not be written must not fail a sign-in that has already succeeded.
 *
 * Write-behind: `record()` only buffers the row, and the buffer goes to the stats store a batch at a time,
 * when the batch is full or `delayMs` after its first row, one write at a time: a write per code would be a
 * round trip on every send and verify. What it costs: rows waiting in the buffer are lost if the process
 * dies (a graceful close writes them), and a failed write drops its rows with one warn line instead of
 * retrying; while the database is down for a while, rows beyond `maxPending` are dropped and counted, one
 * warn line per write. The admin service flushes before it reads, so this instance's statistics are exact;
 * other instances' may lag by about `delayMs`.
 */
export class OtpEvents {
  private pending: OtpEvent[] = []
  private timer: NodeJS.Timeout | null = null
  private writing: Promise<void> | null = null
  /** Rows ever buffered, and rows whose write has ended (written or not): `flush()` waits on these. */
  private buffered = 0
  private settled = 0
  /** Rows refused since the last write because the buffer was full. */
  private dropped = 0

  private readonly store: StatsStore
  private readonly log: Logger
  private readonly limits: OtpEventsLimits

  constructor(options: { store: StatsStore; log: Logger; limits?: OtpEventsLimits | undefined }) {
    this.store = options.store
    this.log = options.log
    this.limits = options.limits ?? DEFAULT_LIMITS
  }

  record(kind: OtpEventKind, phone: { e164: string; country: string }, ip: string | null): void {
    if (this.pending.length >= this.limits.maxPending) {
      this.dropped++
      return
    }
    this.pending.push({
      id: timeOrderedId(),
      kind,
      phone: phone.e164,
      country: phone.country,
      ip,
      created_at: Date.now(),
    })
    this.buffered++
    this.schedule()
  }

  /** Writes every row recorded before the call (after the write in flight, if any). */
  async flush(): Promise<void> {
    const upTo = this.buffered
    while (this.settled < upTo) await (this.writing ?? this.write())
  }

  /** Writes what is pending and stops the timer; called before the database is closed. */
  async close(): Promise<void> {
    await this.flush()
    this.stopTimer()
  }

  /** A full batch is written now, a partial one after the delay; the write in flight schedules the next. */
  private schedule(): void {
    if (this.writing || this.pending.length === 0) return
    if (this.pending.length >= this.limits.batchSize) {
      void this.write()
      return
    }
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      if (!this.writing) void this.write()
    }, this.limits.delayMs)
    // Statistics waiting to be written must not keep the process alive; close() writes them.
    this.timer.unref()
  }

  private write(): Promise<void> {
    this.stopTimer()
    const rows = this.pending.splice(0, this.limits.batchSize)
    const dropped = this.dropped
    this.dropped = 0
    this.writing = this.insert(rows, dropped).finally(() => {
      this.settled += rows.length
      this.writing = null
      this.schedule()
    })
    return this.writing
  }

  private async insert(rows: OtpEvent[], dropped: number): Promise<void> {
    if (dropped > 0)
      this.log.warn({ dropped }, `could not record ${dropped} OTP events for the admin statistics`)
    try {
      await this.store.add(rows)
    } catch (err) {
      this.log.warn({ err, count: rows.length }, 'could not record an OTP event for the admin statistics')
    }
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
