import type { ExpressionBuilder, ExpressionWrapper, StringReference } from 'kysely'
import { AppError } from '../errors.js'

// The admin reports count by calendar day in ADMIN_TIMEZONE (Tashkent by default), while times are stored as
// epoch-ms BIGINT. A day is bucketed by integer division, which both engines do alike on BIGINT, so no SQL
// differs by engine; the day numbers become dates here.

const DAY_MS = 86_400_000
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
const MAX_RANGE_DAYS = 366

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

/**
 * The local day of an epoch-ms column as a day number (days since 1970-01-01): `(column + offset) / 86400000`
 * on BIGINTs. Literals, not parameters, so the same expression in SELECT and GROUP BY compiles to the same text
 * (PostgreSQL matches them by text). Turn the numbers into dates with `dayOfNumber`.
 */
export function localDay<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  column: StringReference<DB, TB>,
  offsetMs: number,
): ExpressionWrapper<DB, TB, number> {
  const ms = eb.ref(column).$castTo<number>()
  return eb(eb.parens(ms, '+', eb.lit(offsetMs)), '/', eb.lit(DAY_MS))
}

/** The date ('YYYY-MM-DD') of a day number from `localDay` (PostgreSQL returns BIGINTs as strings). */
export function dayOfNumber(n: number | string | bigint): string {
  return new Date(Number(n) * DAY_MS).toISOString().slice(0, 10)
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
  /** The zone's offset from UTC the days were cut with. */
  offsetMs: number
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
    offsetMs,
  }
}

export function badRequest(field: string, message: string): AppError {
  return new AppError(
    'VALIDATION_ERROR',
    { details: `${field}: ${message}` },
    { errors: [{ field, message }] },
  )
}

export function checkDays(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && !isDay(from)) throw badRequest('from', 'expected a date YYYY-MM-DD')
  if (to !== undefined && !isDay(to)) throw badRequest('to', 'expected a date YYYY-MM-DD')
}

/** The range a report asked for, checked: real dates, in order, at most a year. */
export function reportRange(
  timeZone: string,
  from: string | undefined,
  to: string | undefined,
  defaultDays: number,
  now: number,
): DayRange {
  checkDays(from, to)
  const r = dayRange(zoneOffsetMs(timeZone, now), now, from, to, defaultDays)
  if (r.from > r.to) throw badRequest('from', 'must not be after "to"')
  if (r.days.length > MAX_RANGE_DAYS)
    throw badRequest('from', `the range is limited to ${MAX_RANGE_DAYS} days`)
  return r
}
