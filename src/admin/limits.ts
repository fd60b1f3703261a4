import { isIP } from 'node:net'
import type { LimitStore } from '../stores/limits/index.js'

export interface LimitedKey {
  /** The limit's name, e.g. otp_ip (requests per IP) or otp_resend (the per-number cooldown). */
  limit: string
  subject: 'ip' | 'number' | 'prefix' | 'other'
  key: string
  /** Requests counted in the current window, and the most the limit allows. */
  count: number
  max: number
  /** Seconds until the window ends and the key may send again. */
  retry_after: number
}

const subjectOf = (limit: string, key: string): LimitedKey['subject'] =>
  isIP(key) ? 'ip' : /^\+\d{2,15}$/.test(key) ? (limit.includes('prefix') ? 'prefix' : 'number') : 'other'

/**
 * The keys that are at or over a limit right now, longest wait first: the limiter itself can only answer
 * about one key, the store lists them all.
 */
export async function limitedKeys(store: LimitStore, now: number): Promise<LimitedKey[]> {
  const out: LimitedKey[] = []
  for (const spec of store.specs)
    for (const r of await store.atLimit(spec, now))
      out.push({
        limit: spec.name,
        subject: subjectOf(spec.name, r.key),
        key: r.key,
        count: r.points,
        max: spec.points,
        retry_after: r.expire === null ? 0 : Math.max(1, Math.ceil((r.expire - now) / 1000)),
      })
  return out.sort((a, b) => b.retry_after - a.retry_after)
}
