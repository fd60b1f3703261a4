import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { startCheckpointer } from './checkpointer.js'

/** How a connection is opened: the server's groups its commits and checkpoints on a thread of its own. */
export interface SqliteOptions {
  groupCommit?: boolean
  /** A failed checkpoint pass, for the log. */
  onWarning?: (message: string) => void
}

/**
 * The embedded database's one connection, as the SQLite stores (src/stores/<aggregate>/sqlite.ts) use it:
 * statements run synchronously (better-sqlite3), prepared once per SQL text.
 *
 * With `groupCommit` (the server), the writes of one turn of the event loop go into one transaction,
 * committed when the turn ends. In WAL mode every commit appends each page it touched to the log; a sign-in
 * writes about ten small rows, and as ten commits that was most of its cost. `write()` resolves only once
 * its batch is committed, so a store's caller is never told of a write a crash could undo, and nothing
 * outside this file knows batches exist. Without it (the CLI), every write commits at once, so the server
 * sees a prefix block the CLI made straight away.
 */
export class SqliteConnection {
  readonly db: SQLite.Database
  private readonly statements = new Map<string, SQLite.Statement>()
  private readonly groupCommit: boolean
  /** The checkpoint thread of the server's connection (none for the CLI's). */
  private readonly checkpointer: { stop(): Promise<void> } | null = null
  /** The batch open now: its BEGIN has run and its COMMIT is scheduled for the end of the turn. */
  private batch: { done: Promise<void>; settle: (err?: unknown) => void } | null = null
  /**
   * Runs the function it is given all or nothing: a savepoint inside an open transaction, else a transaction
   * of its own. Made once: better-sqlite3's `transaction()` builds four wrappers on every call.
   */
  private readonly atomically: <T>(fn: () => T) => T

  constructor(path: string, options: SqliteOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    this.db = new SQLite(path)
    // WAL lets readers run beside the writer; busy_timeout waits for a lock instead of failing at once when
    // a second process (the CLI) writes.
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('busy_timeout = 5000')
    this.db.pragma('foreign_keys = ON')
    this.groupCommit = options.groupCommit ?? false
    // The log is copied back into the database inside whichever commit crosses this many pages; a hot page
    // written many times in between is copied once, so rarer checkpoints copy less (SQLite's default: 1000).
    // The server copies it on a thread of its own (checkpointer.ts), and its own checkpoint, rarer still,
    // finds that work done and lets the log start over.
    const serving = this.groupCommit && path !== ':memory:'
    this.db.pragma(`wal_autocheckpoint = ${serving ? 64000 : 10000}`)
    if (serving) this.checkpointer = startCheckpointer(path, options.onWarning ?? (() => {}))
    this.atomically = this.db.transaction((fn: () => unknown) => fn()) as <T>(fn: () => T) => T
  }

  /** A statement for `sql`, prepared on first use: better-sqlite3 parses and plans anew on every prepare(). */
  prepare(sql: string): SQLite.Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  /**
   * Runs `fn`'s statements at once, all or nothing (a savepoint inside the turn's batch, or a transaction of
   * its own), and resolves with its result once they are committed. A throw undoes only `fn`'s writes.
   */
  write<T>(fn: () => T): Promise<T> {
    try {
      if (!this.groupCommit) return Promise.resolve(this.atomically(fn))
      const batch = this.open()
      const result = this.atomically(fn)
      return batch.then(() => result)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Runs one statement, which SQLite applies all or nothing by itself (no savepoint needed), and resolves
   * with its result once it is committed.
   */
  run(sql: string, ...params: unknown[]): Promise<SQLite.RunResult> {
    try {
      if (!this.groupCommit) return Promise.resolve(this.prepare(sql).run(...params))
      const batch = this.open()
      const result = this.prepare(sql).run(...params)
      return batch.then(() => result)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * This connection as rate-limiter-flexible's `storeClient`: its statements prepared once, and its
   * transactions joining the turn's batch (they resolve before the commit; a counter lost to a crash in that
   * moment only forgets a request). Each of its transactions is one upsert, atomic by itself, so it runs
   * without a savepoint; test/db/sqlite.test.ts fails if the library ever puts two statements in one.
   */
  limiterClient(): Pick<SQLite.Database, 'prepare' | 'transaction'> {
    return {
      prepare: ((sql: string) => this.prepare(sql)) as SQLite.Database['prepare'],
      transaction: ((fn: (...args: unknown[]) => unknown) =>
        (...args: unknown[]) => {
          if (this.groupCommit) this.open()
          return fn(...args)
        }) as SQLite.Database['transaction'],
    }
  }

  /**
   * Commits what is pending and closes the connection, then the checkpoint thread's: the last connection to
   * close folds the log into the file and removes it.
   */
  async close(): Promise<void> {
    this.commit()
    this.db.close()
    await this.checkpointer?.stop()
  }

  /** The batch this turn's writes go into, opened by the turn's first write. */
  private open(): Promise<void> {
    if (this.batch && !this.db.inTransaction) this.commit() // SQLite rolled it back under us: report, start anew
    if (this.batch) return this.batch.done
    this.db.exec('BEGIN')
    let settle!: (err?: unknown) => void
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err))
    })
    // A batch nobody waits for (a counter's write) must not become an unhandled rejection.
    done.catch(() => {})
    this.batch = { done, settle }
    setImmediate(() => this.commit())
    return done
  }

  private commit(): void {
    const batch = this.batch
    if (!batch) return
    this.batch = null
    if (!this.db.inTransaction) {
      // SQLite rolled the whole transaction back itself (disk full, I/O error): the batch is lost.
      batch.settle(new Error('the database rolled back a batch of writes'))
      return
    }
    try {
      this.db.exec('COMMIT')
      batch.settle()
    } catch (err) {
      // A failed COMMIT leaves the transaction open: end it, so the next batch starts clean.
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
      } catch {
        // Nothing more to undo: SQLite has already given the transaction up.
      }
      batch.settle(err)
    }
  }
}
