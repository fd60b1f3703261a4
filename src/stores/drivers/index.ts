import type { Driver, DriverSource } from '../../db/schema.js'

export type { Driver, DriverSource }

/** A number to put on the roster, already in E.164. */
export interface NewDriver {
  phone: string
  name: string | null
}

/** Where a page of the roster starts: after this row in the listing's order (newest first). */
export interface DriverCursor {
  createdAt: number
  phone: string
}

export interface DriverListOptions {
  /** Text anywhere in the number or (case-insensitively, ASCII letters) in the name. */
  search?: string
  limit: number
  after?: DriverCursor
}

/** The driver roster: the numbers the company admits to the driver app. */
export interface DriverStore {
  /** Whether the number (E.164) is on the roster. */
  has(phone: string): Promise<boolean>
  /** The number's row, or null when it is not on the roster. */
  get(phone: string): Promise<Driver | null>
  /**
   * Puts the numbers on the roster, all or nothing; a number already there keeps its row as it is (its name
   * and time are not replaced), and a number given twice is added once. Returns the numbers newly added.
   */
  add(drivers: readonly NewDriver[], addedBy: DriverSource, now?: number): Promise<string[]>
  /** Takes the number off the roster; false when it was not on it. */
  remove(phone: string): Promise<boolean>
  /** A page of the roster, newest first (ties by number, descending). */
  list(options: DriverListOptions): Promise<Driver[]>
  /** How many rows match `search` (every row without it). */
  count(search?: string): Promise<number>
}

/** A LIKE pattern matching `text` anywhere, its wildcards taken literally (escape character `\`). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
