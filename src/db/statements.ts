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
export function withStatementCache(db: SQLite.Database): PreparingDatabase {
  const statements = new Map<string, SQLite.Statement>()
  return {
    prepare(sql) {
      let statement = statements.get(sql)
      if (!statement) {
        statement = db.prepare(sql)
        if (statements.size >= MAX_STATEMENTS) statements.clear()
        statements.set(sql, statement)
      }
      return statement
    },
    transaction: db.transaction.bind(db),
    close: () => db.close(),
  }
}
