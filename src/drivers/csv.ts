import { CsvError, parse } from 'csv-parse/sync'
import type { DriverEntry, RejectedEntry } from './entries.js'

/** A roster file's entries, each with the line it came from. */
export interface RosterFile {
  entries: DriverEntry[]
  /** The line of each entry (from 1; a quoted field spanning lines: its last line). */
  lines: number[]
  /** Whether the first line was a header. */
  header: boolean
}

/** The file cannot be read as CSV (a quote left open…); nothing of it may be imported. */
export class RosterFileError extends Error {
  override name = 'RosterFileError'
}

// Header names a fleet's export may use for the two columns, compared in lower case.
const PHONE_HEADERS = ['phone', 'phone_number', 'telefon', 'raqam', 'телефон', 'номер']
const NAME_HEADERS = ['name', 'full_name', 'ism', 'имя', 'фио']

/**
 * Reads a roster file: UTF-8 CSV (a byte-order mark is fine), fields separated by commas, semicolons (as
 * spreadsheets in Uzbek and Russian settings save) or tabs, quoted as RFC 4180 says. Column 1 is the number,
 * column 2 (optional) the name, further columns are ignored. The first line is a header when its first field
 * holds no digit; a header's columns are then found by name (`phone`, `name`…, any order). Blank lines are
 * skipped.
 */
export function parseRosterFile(text: string): RosterFile {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text, {
      bom: true,
      delimiter: [',', ';', '\t'],
      relax_column_count: true,
      relax_quotes: false,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      info: true,
    }) as unknown as typeof records // with `info`, each record comes as { record, info }
  } catch (err) {
    if (err instanceof CsvError) throw new RosterFileError(err.message)
    throw err
  }
  let phoneColumn = 0
  let nameColumn: number | null = 1
  const first = records[0]?.record ?? []
  const header = records.length > 0 && !/\d/.test(first[0] ?? '')
  if (header) {
    const names = first.map((cell) => cell.toLowerCase())
    phoneColumn = names.findIndex((n) => PHONE_HEADERS.includes(n))
    if (phoneColumn < 0)
      throw new RosterFileError(
        `line 1 is a header (its first field has no digit) without a phone column: name one ${PHONE_HEADERS.join(', ')}`,
      )
    const name = names.findIndex((n) => NAME_HEADERS.includes(n))
    nameColumn = name < 0 ? null : name
  }
  const rows = header ? records.slice(1) : records
  return {
    entries: rows.map(({ record }) => ({
      phone: record[phoneColumn] ?? '',
      name: nameColumn === null ? null : (record[nameColumn] ?? null),
    })),
    lines: rows.map(({ info }) => info.lines),
    header,
  }
}

/** Why a line of the file was refused, in words, naming the line it repeats. */
export function describeRejection(rejection: RejectedEntry, lines: readonly number[]): string {
  const value = JSON.stringify(rejection.phone)
  const line = `line ${lines[rejection.index]}: ${value}`
  switch (rejection.reason) {
    case 'invalid':
      return `${line}: ${rejection.phone === '' ? 'no phone number' : 'not a valid mobile number'}`
    case 'duplicate':
      return `${line}: the same number as line ${lines[rejection.sameAs ?? 0]} (${rejection.e164})`
    case 'name':
      return `${line}: the name is longer than 100 characters or holds control characters`
  }
}
