import { LANGUAGES, type Language } from '../config.js'
import { en } from './en.js'
import { ru } from './ru.js'
import { type Messages, uz } from './uz.js'

export const messages: Record<Language, Messages> = { uz, ru, en }

const supported = new Set<string>(LANGUAGES)

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && supported.has(value)
}

/**
 * Picks the best supported language from an Accept-Language header ("ru-RU,ru;q=0.9,en;q=0.8"), honouring
 * q-values; null when none is supported.
 */
export function fromAcceptLanguage(header: string | undefined): Language | null {
  if (!header) return null
  let best: Language | null = null
  let bestQ = 0
  for (const part of header.split(',')) {
    const [tag = '', ...params] = part.trim().split(';')
    const primary = tag.trim().toLowerCase().split('-')[0] ?? ''
    if (!supported.has(primary)) continue
    const qParam = params.find((p) => p.trim().startsWith('q='))
    const q = qParam ? Number(qParam.trim().slice(2)) : 1
    if (Number.isFinite(q) && q > bestQ) {
      best = primary as Language
      bestQ = q
    }
  }
  return best
}
