import type { Compilable, CompiledQuery, Kysely, QueryResult, RawBuilder } from 'kysely'
import type { Database } from './schema.js'
import type { PreparingDatabase } from './statements.js'

/** Stands for one named value while a prepared query is compiled. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * The SQL of every PreparedQuery and the name it is prepared under on PostgreSQL (`namePreparedQueries`).
 * It grows only with the queries the code declares, never with values.
 */
const statementNames = new Map<string, string>()

/** The name of a PreparedQuery's statement for `sql`, or undefined for any other query. */
export function statementName(sql: string): string | undefined {
  return statementNames.get(sql)
}

/** A query written as SQL (Kysely's `sql` tag), for a PreparedQuery: what the query builder cannot say. */
export function rawQuery<R, DB = Database>(db: Kysely<DB>, query: RawBuilder<R>): Compilable<R> {
  return { compile: () => query.compile(db) }
}

/**
 * A query that Kysely builds and compiles once; each run only fills in its values. Kysely builds a tree
 * of frozen nodes and compiles it to SQL on every call, 3–5 µs for each query of the hot paths, 5–10 % of
 * a request's CPU (docs/SCALING.md). Here `build` runs once, with a stand-in for each value, and a run
 * puts the real values in place of the stand-ins. For queries whose shape never changes: a value that
 * would change the SQL (a column present or not, a list's length) needs a query of its own. `build` uses
 * each value as it is (`values.phone`): a spread of the stand-ins or a property of one (`values.phone.e164`)
 * throws.
 */
export class PreparedQuery<V extends object, R, DB = Database> {
  private readonly compiled: CompiledQuery<R>

  constructor(
    private readonly db: Kysely<DB>,
    build: (values: V) => Compilable<R>,
  ) {
    const handedOut = new Set<string>()
    const slots = new Proxy({} as V, {
      get: (_, name) => {
        handedOut.add(String(name))
        return new Slot(String(name))
      },
      ownKeys: () => {
        throw new TypeError('prepared query: name each value; a spread of the stand-ins would be empty')
      },
    })
    this.compiled = build(slots).compile()
    if (!statementNames.has(this.compiled.sql))
      statementNames.set(this.compiled.sql, `royal_taxi_${statementNames.size + 1}`)
    // A stand-in read but not bound was used some other way (`values.phone.e164`): the query would be wrong.
    const bound = new Set(this.compiled.parameters.map((p) => (p instanceof Slot ? p.name : null)))
    for (const name of handedOut)
      if (!bound.has(name))
        throw new TypeError(`prepared query: "${name}" is read but not a value of the query`)
  }

  /** Runs the query with `values`, on `db` (a transaction) or the database it was prepared for. */
  async execute(values: V, db: Kysely<DB> = this.db): Promise<QueryResult<R>> {
    return await db.executeQuery({ ...this.compiled, parameters: this.bind(values) })
  }

  /**
   * Runs the query at once on the embedded SQLite connection, as Kysely's SQLite driver does but without a
   * promise: for a transaction that must not yield to the event loop halfway (`PreparingDatabase.transaction`),
   * and for the hot paths' single statements, which need neither Kysely's promises nor its connection lock
   * (nothing holds that lock across turns on SQLite: the sessions' transactions run at once too).
   * The rows for a query that returns some (a select, a `returning`), otherwise none.
   */
  runNow(values: V, sqlite: PreparingDatabase): R[] {
    const statement = sqlite.prepare(this.compiled.sql)
    const parameters = this.bind(values)
    if (statement.reader) return statement.all(parameters) as R[]
    statement.run(parameters)
    return []
  }

  /** Rows inserted, updated or deleted, run at once on the embedded SQLite connection (see runNow). */
  changedNow(values: V, sqlite: PreparingDatabase): number {
    return sqlite.prepare(this.compiled.sql).run(this.bind(values)).changes
  }

  /** The values in the order the SQL binds them. */
  private bind(values: V): readonly unknown[] {
    return this.compiled.parameters.map((p) => {
      if (!(p instanceof Slot)) return p
      const value = (values as Record<string, unknown>)[p.name]
      // Kysely leaves an undefined column out of the SQL; here it would be bound as nothing at all.
      if (value === undefined) throw new TypeError(`prepared query: no value for "${p.name}"`)
      return value
    })
  }

  /** The first row of the result, if any (Kysely's `executeTakeFirst` for a select or `returning`). */
  async first(values: V, db?: Kysely<DB>): Promise<R | undefined> {
    return (await this.execute(values, db)).rows[0]
  }

  /** Rows inserted, updated or deleted. */
  async changed(values: V, db?: Kysely<DB>): Promise<number> {
    const result = await this.execute(values, db)
    return Number(result.numAffectedRows ?? 0n)
  }
}
