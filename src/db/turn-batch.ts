/**
 * Rows that the requests of one turn of the event loop write with the same statement, written together
 * when the turn ends (setImmediate): one statement and one round trip for all of them. Each caller's
 * promise settles with the write and gets its own row's result, so nothing is answered before its row is
 * written; a failed write fails every request whose row it carried (as each would have failed on its
 * own), unless the write gives a row its own failure (`RowFailed`).
 *
 * For PostgreSQL, where each statement is a round trip to another process and its own commit: on two cores
 * a send-otp's two SMS-log statements were 17 % of the server's CPU in socket writes alone, and a sign-in's
 * or a refresh's statement a third of their CPU (docs/SCALING.md). SQLite needs none of this: its
 * statements run in process, and its group commit already writes a turn's rows together (statements.ts).
 */
export class TurnBatch<T, R = void> {
  /** This turn's rows, and their write, which starts when the turn ends. */
  private open: { rows: T[]; written: Promise<readonly (R | RowFailed)[]> } | null = null

  /** `write` writes the rows and returns each row's result, in the rows' order (none for a plain write). */
  constructor(private readonly write: (rows: readonly T[]) => Promise<readonly (R | RowFailed)[]>) {}

  /** Adds a row to this turn's batch; resolves with its result once the batch is written. */
  add(row: T): Promise<R> {
    if (!this.open) {
      const rows: T[] = []
      const written = new Promise<readonly (R | RowFailed)[]>((resolve, reject) => {
        setImmediate(() => {
          this.open = null
          this.write(rows).then(resolve, reject)
        })
      })
      this.open = { rows, written }
    }
    const index = this.open.rows.push(row) - 1
    return this.open.written.then((results) => {
      const result = results[index]
      if (result instanceof RowFailed) throw result.error
      return result as R
    })
  }
}

/** A batch's result for a row that failed on its own while the others were written. */
export class RowFailed {
  constructor(readonly error: unknown) {}
}

/** SQLSTATE deadlock_detected. */
const DEADLOCK = '40P01'

/**
 * A batch write that, when PostgreSQL aborts it for a deadlock, writes each row alone instead: one
 * statement for many requests must not turn one request's conflict into an error for all of them. (Two
 * instances' batches can lock the same rows in different orders only when the same refresh token is
 * presented to both at once.)
 */
export function aloneOnDeadlock<T, R>(
  write: (rows: readonly T[]) => Promise<readonly R[]>,
): (rows: readonly T[]) => Promise<readonly (R | RowFailed)[]> {
  return async (rows) => {
    try {
      return await write(rows)
    } catch (err) {
      if (rows.length < 2 || (err as { code?: unknown }).code !== DEADLOCK) throw err
      return await Promise.all(
        rows.map((row) =>
          write([row]).then(
            (results) => results[0] as R,
            (error: unknown) => new RowFailed(error),
          ),
        ),
      )
    }
  }
}

/** A batch's rows as one array per column, the form PostgreSQL's `unnest` takes them in. */
export type Columns<T> = { [K in keyof T]: T[K][] }

/** The rows of a batch (never none, all built alike) as one array per property. */
export function toColumns<T extends object>(rows: readonly T[]): Columns<T> {
  const keys = Object.keys(rows[0] as T) as (keyof T)[]
  return Object.fromEntries(keys.map((key) => [key, rows.map((row) => row[key])])) as Columns<T>
}
