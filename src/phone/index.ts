import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max'

export interface Phone {
  /** E.164, e.g. +998901234567 */
  e164: string
  country: CountryCode
  /** Mobile operator for Uzbek numbers, null elsewhere. */
  operator: string | null
}

// Uzbek mobile operators by the two digits after +998 (libphonenumber metadata, 2026).
const UZ_OPERATORS: Record<string, string> = {
  '20': 'Beeline',
  '90': 'Beeline',
  '91': 'Beeline',
  '92': 'Beeline',
  '50': 'Ucell',
  '93': 'Ucell',
  '94': 'Ucell',
  '87': 'Mobiuz',
  '88': 'Mobiuz',
  '97': 'Mobiuz',
  '33': 'Humans',
  '70': 'Uzmobile',
  '77': 'Uzmobile',
  '95': 'Uzmobile',
  '99': 'Uzmobile',
  '80': 'Perfectum',
  '98': 'Perfectum',
}

const UZ_FORMAT = /^\+998\d{9}$/
// Separators people type between digit groups: spaces, dashes, dots, brackets.
const SEPARATORS = /[\s\-.()]/g

export function uzOperator(e164: string): string | null {
  return UZ_FORMAT.test(e164) ? (UZ_OPERATORS[e164.slice(4, 6)] ?? null) : null
}

/**
 * Normalises what a user typed into an E.164 mobile number, or returns null. Input is always read as
 * international: `998901234567`, `+998 90 123-45-67`, `+998 (90) 123 45 67` and `00998901234567` all mean
 * +998901234567. Only ASCII digits are accepted: look-alike digits are refused rather than guessed at.
 */
export function parsePhone(input: string): Phone | null {
  if (input.length > 32) return null
  let compact = input.replace(SEPARATORS, '')
  if (compact.startsWith('00')) compact = `+${compact.slice(2)}`
  else if (!compact.startsWith('+')) compact = `+${compact}`
  if (!/^\+[1-9]\d{6,14}$/.test(compact)) return null
  // Most sign-ins are Uzbek mobile numbers, and for every prefix in the operators' table the metadata's
  // mobile pattern takes any seven digits after it: the answer is known without its regular expressions,
  // the costliest part of parsing. A test compares this with the metadata for every prefix.
  const operator = uzOperator(compact)
  return operator ? { e164: compact, country: 'UZ', operator } : parseWithMetadata(compact)
}

/** The full check of a compact `+<digits>` number against libphonenumber's metadata. */
export function parseWithMetadata(compact: string): Phone | null {
  const parsed = parsePhoneNumberFromString(compact)
  if (!parsed?.country) return null
  // The type is undefined for an invalid number: isValid() is this same check (with the full metadata),
  // and its regular expressions are most of the cost of parsing.
  const type = parsed.getType()
  // FIXED_LINE_OR_MOBILE: countries such as the USA do not tell the two apart by number.
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return null
  const e164 = parsed.number
  if (parsed.country === 'UZ' && !UZ_FORMAT.test(e164)) return null
  return { e164, country: parsed.country, operator: uzOperator(e164) }
}
