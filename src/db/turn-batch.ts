/**
 * Rows that the requests of one turn of the event loop write with the same statement, written together
 * when the turn ends (setImmediate): one statement and one round trip for all of them. Each caller's
 * promise settles with the write, so nothing is answered before its row is written, and a failed write
 * fails every request whose row it carried (as each would have failed on its own).
 *
 * For PostgreSQL, where each statement is a round trip to another process and its own commit: on two cores
 * a send-otp's two SMS-log statements were 17 % of the server's CPU in socket writes alone (docs/SCALING.md).
 * SQLite needs none of this: its statements run in process, and its group commit already writes a turn's
 * rows together (statements.ts).
 */
export class TurnBatch<T> {
  private rows: T[] | null = null
  private written: Promise<void> = Promise.resolve()

  constructor(private readonly write: (rows: readonly T[]) => Promise<void>) {}

  /** Adds a row to this turn's batch; resolves once the batch is written. */
  add(row: T): Promise<void> {
    if (!this.rows) {
      const rows: T[] = []
      this.rows = rows
      this.written = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.rows = null
          this.write(rows).then(resolve, reject)
        })
      })
    }
    this.rows.push(row)
    return this.written
  }
}
