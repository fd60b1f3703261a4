import type { Db } from '../db/index.js'
import { type DayRange, dayOfNumber, localDay } from './days.js'

const usd = (n: number) => Math.round(n * 10_000) / 10_000

/**
 * Sign-ins with a passkey over a range, and what the code SMS they spared would have cost: each row priced,
 * when it was made, as its number's route would have charged (src/passkeys/plugin.ts). Per local day, so the
 * Billing tab sets them beside the costs.
 */
export async function passkeySavings(db: Db, r: DayRange) {
  const rows = await db
    .selectFrom('passkey_sign_ins')
    .select((eb) => [
      localDay(eb, 'created_at', r.offsetMs).as('day'),
      eb.fn.countAll<number>().as('sign_ins'),
      eb.fn.coalesce(eb.fn.sum<number>('saved_usd'), eb.lit(0)).as('saved'),
      eb.fn.count<number>('saved_usd').as('priced'),
    ])
    .where('created_at', '>=', r.startMs)
    .where('created_at', '<', r.endMs)
    .groupBy((eb) => localDay(eb, 'created_at', r.offsetMs))
    .execute()
  const index = new Map(r.days.map((d, i) => [d, i]))
  const signInsByDay = r.days.map(() => 0)
  const savedByDay = r.days.map(() => 0)
  let signIns = 0
  let priced = 0
  for (const row of rows) {
    const i = index.get(dayOfNumber(row.day))
    if (i === undefined) continue
    signInsByDay[i] = Number(row.sign_ins)
    savedByDay[i] = usd(Number(row.saved))
    signIns += Number(row.sign_ins)
    priced += Number(row.priced)
  }
  return {
    sign_ins: signIns,
    saved: usd(savedByDay.reduce((a, b) => a + b, 0)),
    unpriced: signIns - priced,
    sign_ins_by_day: signInsByDay,
    saved_by_day: savedByDay,
  }
}
