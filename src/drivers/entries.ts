import { parsePhone } from '../phone/index.js'
import type { NewDriver } from '../stores/drivers/index.js'

/** One number to add as given (the admin API's body, a line of a CSV file, `drivers add`). */
export interface DriverEntry {
  phone: string
  name?: string | null
}

/**
 * Why an entry cannot be added: not a valid mobile number, the same number as an earlier entry (written
 * differently, perhaps), or a name that is too long or holds control characters.
 */
export type RejectReason = 'invalid' | 'duplicate' | 'name'

export interface RejectedEntry {
  /** Its position among the entries, from 0. */
  index: number
  /** As given. */
  phone: string
  reason: RejectReason
  /** duplicate: the position of the entry that gave the number first. */
  sameAs?: number
  /** duplicate: the number both mean, in E.164. */
  e164?: string
}

export const NAME_MAX_LENGTH = 100
// The same rule as a rider's full_name (src/http/schemas.ts): PostgreSQL refuses NUL, and no control
// character belongs in a name an operator reads.
const isControl = (c: string) => {
  const code = c.codePointAt(0) ?? 0
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
}

/** The number in E.164, or null when it is not a valid mobile number (the project's one phone parser). */
export function driverPhone(input: string): string | null {
  return parsePhone(input.trim())?.e164 ?? null
}

/**
 * Normalises every entry, or tells every one that cannot be added; a caller adds nothing unless `rejected`
 * is empty. A name is trimmed, an empty one is none.
 */
export function checkEntries(entries: readonly DriverEntry[]): {
  drivers: NewDriver[]
  rejected: RejectedEntry[]
} {
  const drivers: NewDriver[] = []
  const rejected: RejectedEntry[] = []
  const first = new Map<string, number>()
  for (const [index, entry] of entries.entries()) {
    const e164 = driverPhone(entry.phone)
    const earlier = e164 === null ? undefined : first.get(e164)
    const name = entry.name?.trim() || null
    if (e164 === null) rejected.push({ index, phone: entry.phone, reason: 'invalid' })
    else if (earlier !== undefined)
      rejected.push({ index, phone: entry.phone, reason: 'duplicate', sameAs: earlier, e164 })
    else if (name !== null && (name.length > NAME_MAX_LENGTH || [...name].some(isControl)))
      rejected.push({ index, phone: entry.phone, reason: 'name' })
    else drivers.push({ phone: e164, name })
    if (e164 !== null && earlier === undefined) first.set(e164, index)
  }
  return { drivers, rejected }
}
