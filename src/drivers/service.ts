import { badRequest } from '../admin/days.js'
import type { Driver, DriverCursor, DriverSource, DriverStore } from '../stores/drivers/index.js'
import { checkEntries, type DriverEntry, type RejectedEntry } from './entries.js'

export interface DriverServiceOptions {
  /**
   * Called once a number has been taken off the roster, by the admin API and the CLI alike, to end that
   * number's driver sessions at once. Its failure reaches the caller (the removal itself stays done).
   * @default none: removal only takes the number off the roster
   */
  onRemoved?: (phone: string) => Promise<void>
}

export type AddOutcome =
  | { ok: true; added: Driver[]; alreadyPresent: string[] }
  | { ok: false; rejected: RejectedEntry[] }

export interface DriverPage {
  drivers: Driver[]
  total: number
  /** Where the next page starts; null on the last page. */
  next_cursor: string | null
}

// Separators people type between digit groups: a search made of digits and these looks for a number.
const NUMBER_SEARCH = /^[\d\s\-.()+]+$/

function encodeCursor(d: Driver): string {
  return Buffer.from(`${d.created_at}:${d.phone}`).toString('base64url')
}

function decodeCursor(cursor: string): DriverCursor {
  const m = /^(\d{1,16}):(\+\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (!m) throw badRequest('cursor', 'is not a cursor this API returned')
  return { createdAt: Number(m[1]), phone: m[2] as string }
}

/**
 * The driver roster: who may sign in with the driver app. The admin API and the `royal-taxi drivers`
 * commands both go through here, so a removal ends the number's driver sessions whichever way it is made.
 */
export class DriverService {
  constructor(
    private readonly store: DriverStore,
    private readonly options: DriverServiceOptions = {},
  ) {}

  /** Whether the number (E.164) is on the roster. */
  async has(phone: string): Promise<boolean> {
    return await this.store.has(phone)
  }

  /**
   * Adds every entry or none: if one is rejected (not a mobile number, a number given twice, a bad name)
   * nothing is written and every rejected entry is told. Numbers already on the roster are left as they are.
   */
  async add(entries: readonly DriverEntry[], source: DriverSource, now = Date.now()): Promise<AddOutcome> {
    const { drivers, rejected } = checkEntries(entries)
    if (rejected.length > 0) return { ok: false, rejected }
    const added = new Set(await this.store.add(drivers, source, now))
    return {
      ok: true,
      added: drivers
        .filter((d) => added.has(d.phone))
        .map((d) => ({ ...d, added_by: source, created_at: now })),
      alreadyPresent: drivers.filter((d) => !added.has(d.phone)).map((d) => d.phone),
    }
  }

  /** Takes the number (E.164) off the roster, then ends its driver sessions; false when it was not on it. */
  async remove(phone: string): Promise<boolean> {
    if (!(await this.store.remove(phone))) return false
    await this.options.onRemoved?.(phone)
    return true
  }

  /** A page of the roster, newest first; `search` finds digits in the number or text in the name. */
  async list(query: { search?: string; limit: number; cursor?: string }): Promise<DriverPage> {
    const search = searchText(query.search)
    const after = query.cursor ? decodeCursor(query.cursor) : undefined
    const [rows, total] = await Promise.all([
      this.store.list({ limit: query.limit + 1, ...(search ? { search } : {}), ...(after ? { after } : {}) }),
      this.store.count(search),
    ])
    const more = rows.length > query.limit
    const drivers = more ? rows.slice(0, query.limit) : rows
    const last = drivers.at(-1)
    return { drivers, total, next_cursor: more && last ? encodeCursor(last) : null }
  }

  /** The whole roster, newest first (the CLI's listing). */
  async all(search?: string): Promise<Driver[]> {
    const rows: Driver[] = []
    for (let cursor: string | null | undefined; cursor !== null; ) {
      const page = await this.list({
        limit: 500,
        ...(search ? { search } : {}),
        ...(cursor ? { cursor } : {}),
      })
      rows.push(...page.drivers)
      cursor = page.next_cursor
    }
    return rows
  }
}

/** What to look for: the digits of a number as typed with its separators, or the text of a name. */
function searchText(search: string | undefined): string | undefined {
  const text = search?.trim()
  if (!text) return undefined
  return NUMBER_SEARCH.test(text) && /\d/.test(text) ? text.replace(/\D/g, '') : text
}
