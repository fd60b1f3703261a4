const DAY_MS = 86_400_000
/** The last day asked for: every send-otp asks. */
let lastDay = { from: 0, until: 0, day: '' }

/** The UTC date of `now`, e.g. 2026-11-24 (JavaScript time has no leap seconds: a day is 86,400,000 ms). */
export function utcDay(now = Date.now()): string {
  if (now < lastDay.from || now >= lastDay.until) {
    const from = now - (now % DAY_MS)
    lastDay = { from, until: from + DAY_MS, day: new Date(from).toISOString().slice(0, 10) }
  }
  return lastDay.day
}

/** Whole seconds until the next UTC midnight, at least 1. */
export function secondsUntilUtcMidnight(now = Date.now()): number {
  const next = new Date(now)
  next.setUTCHours(24, 0, 0, 0)
  return Math.max(1, Math.ceil((next.getTime() - now) / 1000))
}
