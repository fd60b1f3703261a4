import type { SqliteConnection } from '../../db/sqlite.js'
import {
  containsPattern,
  type Driver,
  type DriverListOptions,
  type DriverSource,
  type DriverStore,
  type NewDriver,
} from './index.js'

// SQLite's LIKE ignores the case of ASCII letters only.
const MATCHES = "(phone like ? escape '\\' or name like ? escape '\\')"
const AFTER = '(created_at < ? or (created_at = ? and phone < ?))'

export class SqliteDriverStore implements DriverStore {
  constructor(private readonly sqlite: SqliteConnection) {}

  async has(phone: string): Promise<boolean> {
    return this.sqlite.prepare('select 1 from drivers where phone = ?').get(phone) !== undefined
  }

  async get(phone: string): Promise<Driver | null> {
    return (this.sqlite.prepare('select * from drivers where phone = ?').get(phone) as Driver) ?? null
  }

  async add(drivers: readonly NewDriver[], addedBy: DriverSource, now = Date.now()): Promise<string[]> {
    const insert = this.sqlite.prepare(
      `insert into drivers (phone, name, added_by, created_at) values (?, ?, ?, ?)
       on conflict (phone) do nothing`,
    )
    // One savepoint (or transaction) for the lot: a failure anywhere leaves the roster as it was.
    return await this.sqlite.write(() =>
      drivers.filter((d) => insert.run(d.phone, d.name, addedBy, now).changes > 0).map((d) => d.phone),
    )
  }

  async remove(phone: string): Promise<boolean> {
    return (await this.sqlite.run('delete from drivers where phone = ?', phone)).changes > 0
  }

  async list({ search, limit, after }: DriverListOptions): Promise<Driver[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (search) {
      const pattern = containsPattern(search)
      where.push(MATCHES)
      params.push(pattern, pattern)
    }
    if (after) {
      where.push(AFTER)
      params.push(after.createdAt, after.createdAt, after.phone)
    }
    const sql = `select * from drivers ${where.length ? `where ${where.join(' and ')}` : ''}
      order by created_at desc, phone desc limit ?`
    return this.sqlite.prepare(sql).all(...params, limit) as Driver[]
  }

  async count(search?: string): Promise<number> {
    const row = search
      ? this.sqlite
          .prepare(`select count(*) as n from drivers where ${MATCHES}`)
          .get(containsPattern(search), containsPattern(search))
      : this.sqlite.prepare('select count(*) as n from drivers').get()
    return (row as { n: number }).n
  }
}
