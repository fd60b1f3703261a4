import type { Pool } from 'pg'
import {
  containsPattern,
  type Driver,
  type DriverListOptions,
  type DriverSource,
  type DriverStore,
  type NewDriver,
} from './index.js'

export class PostgresDriverStore implements DriverStore {
  constructor(private readonly pool: Pool) {}

  async has(phone: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('select 1 from drivers where phone = $1', [phone])
    return (rowCount ?? 0) > 0
  }

  async get(phone: string): Promise<Driver | null> {
    const { rows } = await this.pool.query<Driver>('select * from drivers where phone = $1', [phone])
    return rows[0] ?? null
  }

  /** One statement, so all or nothing; arrays through unnest, so a file of any length is one round trip. */
  async add(drivers: readonly NewDriver[], addedBy: DriverSource, now = Date.now()): Promise<string[]> {
    if (drivers.length === 0) return []
    const { rows } = await this.pool.query<{ phone: string }>(
      `insert into drivers (phone, name, added_by, created_at)
         select phone, name, $3, $4 from unnest($1::text[], $2::text[]) with ordinality as d(phone, name, n)
         order by n
       on conflict (phone) do nothing
       returning phone`,
      [drivers.map((d) => d.phone), drivers.map((d) => d.name), addedBy, now],
    )
    const added = new Set(rows.map((r) => r.phone))
    // In the order given, as the SQLite store answers.
    return [...new Set(drivers.map((d) => d.phone))].filter((phone) => added.has(phone))
  }

  async remove(phone: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('delete from drivers where phone = $1', [phone])
    return (rowCount ?? 0) > 0
  }

  async list({ search, limit, after }: DriverListOptions): Promise<Driver[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (search) {
      params.push(containsPattern(search))
      where.push(`(phone like $${params.length} or name ilike $${params.length})`)
    }
    if (after) {
      params.push(after.createdAt, after.phone)
      const [at, phone] = [`$${params.length - 1}`, `$${params.length}`]
      where.push(`(created_at < ${at} or (created_at = ${at} and phone < ${phone}))`)
    }
    params.push(limit)
    const { rows } = await this.pool.query<Driver>(
      `select * from drivers ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, phone desc limit $${params.length}`,
      params,
    )
    return rows
  }

  async count(search?: string): Promise<number> {
    const { rows } = search
      ? await this.pool.query<{ n: number }>(
          'select count(*)::integer as n from drivers where phone like $1 or name ilike $1',
          [containsPattern(search)],
        )
      : await this.pool.query<{ n: number }>('select count(*)::integer as n from drivers')
    return rows[0]?.n ?? 0
  }
}
