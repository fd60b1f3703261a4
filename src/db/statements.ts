import type SQLite from 'better-sqlite3'

/** The part of better-sqlite3's Database that Kysely's SqliteDialect and rate-limiter-flexible call. */
export interface PreparingDatabase {
  prepare(sql: string): SQLite.Statement
  transaction: SQLite.Database['transaction']
  close(): void
}

const MAX_STATEMENTS = 500

/**
 * better-sqlite3 parses and plans SQL anew on every `prepare()`, and both Kysely's SQLite driver and
 * rate-limiter-flexible call it once per query: on the hot paths that was a third of a write's cost. This
 * keeps prepared statements by their SQL text. Kysely passes values as parameters, so the texts are few; the
 * bound only guards against a caller that inlines values. Reusing a statement is safe because better-sqlite3
 * runs it synchronously to completion (nothing here iterates a statement lazily).
 */
class StatementCache {
  private readonly statements = new Map<string, SQLite.Statement>()
  constructor(private readonly make: (sql: string) => SQLite.Statement) {}

  get(sql: string): SQLite.Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.make(sql)
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear()
      this.statements.set(sql, statement)
    }
    return statement
  }
}

/** Kysely's SQLite driver opens and ends its transactions with these three statements. */
const KYSELY_TRANSACTION = new Set(['begin', 'commit', 'rollback'])
const SAVEPOINT = 'kysely_transaction'

/**
 * Group commit for the embedded database: every write made during one turn of the event loop goes into one
 * SQLite transaction, committed when the turn ends (setImmediate).
 *
 * Why: in WAL mode each commit appends every page it touched to the log, and a sign-in writes about ten
 * small rows (limit counters, the code, the SMS log, the statistics); as ten commits that was most of a
 * request's cost. Committed together, the pages of fifty concurrent requests are written once.
 *
 * What stays true:
 * - Each statement is still atomic, and so is each transaction a caller asks for: better-sqlite3's
 *   `transaction()` and Kysely's `begin`/`commit`/`rollback` become savepoints inside the batch, with the
 *   same all-or-nothing result. The batch is not committed while one of them is open.
 * - Reads on this connection see the batch's writes at once, so limits and codes behave exactly as before
 *   within the process; other processes (the CLI) see them when the batch commits, one turn later.
 * - Nothing is answered before it is durable: the HTTP layer holds each response until the batch open at
 *   that moment has committed (`committed()`), and answers 503 if the commit failed, in which case every
 *   write of the batch is rolled back together.
 */
export class BatchingDatabase implements PreparingDatabase {
  private readonly cache: StatementCache
  /** The batch now open: its BEGIN has run and its COMMIT is scheduled. */
  private batch: { done: Promise<void>; settle: (err?: unknown) => void } | null = null
  /** Kysely transactions open inside the batch (as savepoints); the batch waits for them to end. */
  private savepoints = 0
  private flushWhenReleased = false

  readonly transaction: SQLite.Database['transaction']
  private readonly grouped: boolean

  /**
   * Without `groupCommit` every statement commits on its own as usual and this is only the statement cache:
   * the CLI, whose writes (a prefix block) should be visible to the server at once, opens the database so.
   */
  constructor(
    private readonly raw: SQLite.Database,
    options: { groupCommit: boolean },
  ) {
    this.grouped = options.groupCommit
    if (!options.groupCommit) {
      this.cache = new StatementCache((sql) => raw.prepare(sql))
      this.transaction = raw.transaction.bind(raw)
      return
    }
    this.cache = new StatementCache((sql) => this.wrap(sql))
    this.transaction = ((fn: (...args: unknown[]) => unknown) => {
      const run = raw.transaction(fn)
      return (...args: unknown[]) => {
        this.begin()
        return run(...args)
      }
    }) as SQLite.Database['transaction']
  }

  prepare(sql: string): SQLite.Statement {
    return this.cache.get(sql)
  }

  /**
   * This connection for a caller whose every transaction is a single statement: rate-limiter-flexible, whose
   * only `transaction()` wraps one upsert (a test holds it to that). One statement is atomic by itself, so
   * inside the batch it needs no savepoint; SAVEPOINT and RELEASE around each counter cost 4 % of a send's
   * CPU and 11 % of a wrong-code verify's. The statement still opens the batch, and the answer still waits
   * for its commit.
   */
  singleStatementClient(): PreparingDatabase {
    if (!this.grouped) return this
    return {
      prepare: (sql) => this.prepare(sql),
      transaction: ((fn: unknown) => fn) as SQLite.Database['transaction'],
      close: () => this.close(),
    }
  }

  /** The commit of the batch open now, or null when every write so far is committed. */
  committed(): Promise<void> | null {
    return this.batch?.done ?? null
  }

  /** Commits the open batch now (at the end of its turn, and before closing). */
  flush(): void {
    const batch = this.batch
    if (!batch) return
    if (this.savepoints > 0) {
      this.flushWhenReleased = true
      return
    }
    this.batch = null
    if (!this.raw.inTransaction) {
      // SQLite rolled the whole transaction back itself (disk full, I/O error): the batch is lost.
      batch.settle(new Error('the database rolled back a batch of writes'))
      return
    }
    try {
      this.raw.exec('COMMIT')
      batch.settle()
    } catch (err) {
      // A failed COMMIT leaves the transaction open: end it, so the next batch starts clean.
      try {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK')
      } catch {
        // Nothing more to undo: SQLite has already given the transaction up.
      }
      batch.settle(err)
    }
  }

  close(): void {
    this.savepoints = 0
    this.flush()
    this.raw.close()
  }

  /** Opens a batch before the first write of a turn. */
  private begin(): void {
    if (this.batch && !this.raw.inTransaction) this.flush() // rolled back under us: report it, start anew
    if (this.batch) return
    this.raw.exec('BEGIN')
    let settle!: (err?: unknown) => void
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err))
    })
    // A batch nobody waits for (a background write) must not become an unhandled rejection.
    done.catch(() => {})
    this.batch = { done, settle }
    setImmediate(() => this.flush())
  }

  private wrap(sql: string): SQLite.Statement {
    const word = sql.trim().toLowerCase()
    if (KYSELY_TRANSACTION.has(word)) return this.kyselyTransaction(word)
    const statement = this.raw.prepare(sql)
    if (statement.readonly) return statement
    // A write opens the batch first. The wrapper keeps the statement's other properties (reader, source).
    const opening = (method: 'run' | 'get' | 'all') => ({
      value: (...args: unknown[]) => {
        this.begin()
        return (statement[method] as (...a: unknown[]) => unknown)(...args)
      },
    })
    return Object.create(statement, {
      run: opening('run'),
      get: opening('get'),
      all: opening('all'),
    }) as SQLite.Statement
  }

  /** Kysely's `begin`, `commit` and `rollback`, as a savepoint inside the batch. */
  private kyselyTransaction(word: string): SQLite.Statement {
    const run = () => {
      if (word === 'begin') {
        this.begin()
        this.raw.exec(`SAVEPOINT ${SAVEPOINT}`)
        this.savepoints++
      } else {
        if (word === 'rollback') this.raw.exec(`ROLLBACK TO ${SAVEPOINT}`)
        this.raw.exec(`RELEASE ${SAVEPOINT}`)
        this.savepoints--
        if (this.savepoints === 0 && this.flushWhenReleased) {
          this.flushWhenReleased = false
          setImmediate(() => this.flush())
        }
      }
      return { changes: 0, lastInsertRowid: 0 }
    }
    return { reader: false, readonly: false, run, get: run, all: run } as unknown as SQLite.Statement
  }
}
