import { type RawBuilder, sql } from 'kysely'

// The admin reports count by calendar day in ADMIN_TIMEZONE (Tashkent by default), while times are stored as
// epoch-ms BIGINT. The two engines share no date function, so this file is the one place with SQL that
// differs by dialect.

export type Dialect = 'sqlite' | 'postgres'

const DAY_MS = 86_400_000
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * The zone's offset from UTC at `at`, in ms. Reports bucket by the offset in force now: exact for zones without
 * daylight saving time (Asia/Tashkent, UTC+5 all year), off by an hour near a DST change elsewhere.
 */
export function zoneOffsetMs(timeZone: string, at = Date.now()): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return wall - Math.floor(at / 1000) * 1000
}

/** SQL for the local calendar day ('YYYY-MM-DD') of an epoch-ms column. */
export function dayOf(dialect: Dialect, column: string, offsetMs: number): RawBuilder<string> {
  const local = sql`(${sql.ref(column)} + ${sql.lit(offsetMs)})`
  return dialect === 'postgres'
    ? sql<string>`to_char(to_timestamp(${local} / 1000.0) at time zone 'UTC', 'YYYY-MM-DD')`
    : sql<string>`strftime('%Y-%m-%d', ${local} / 1000, 'unixepoch')`
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isDay(value: string): boolean {
  const m = DAY.exec(value)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.toISOString().slice(0, 10) === value
}

/** The local day of an instant. */
export function dayAt(ms: number, offsetMs: number): string {
  return new Date(ms + offsetMs).toISOString().slice(0, 10)
}

/** The first instant of a local day. */
export function startOfDay(day: string, offsetMs: number): number {
  return Date.parse(`${day}T00:00:00Z`) - offsetMs
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = []
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d)
  return out
}

export interface DayRange {
  from: string
  to: string
  /** [start, end) in epoch ms. */
  startMs: number
  endMs: number
  days: string[]
}

/** A range of local days, both ends included; defaults to the `defaultDays` days ending today. */
export function dayRange(
  offsetMs: number,
  now: number,
  from: string | undefined,
  to: string | undefined,
  defaultDays: number,
): DayRange {
  const end = to ?? dayAt(now, offsetMs)
  const start = from ?? addDays(end, -(defaultDays - 1))
  return {
    from: start,
    to: end,
    startMs: startOfDay(start, offsetMs),
    endMs: startOfDay(addDays(end, 1), offsetMs),
    days: start <= end ? daysBetween(start, end) : [],
  }
}
