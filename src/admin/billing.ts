import { sql } from 'kysely'
import type { DatabaseHandle } from '../db/index.js'
import { addDays, type DayRange, dayAt, dayOf, startOfDay } from './days.js'

const usd = (n: number) => Math.round(n * 10_000) / 10_000

/**
 * Costs from the SMS log's `cost_usd` (the gateway's reported price where it gave one, else the price-table
 * estimate), summed per local day and provider, per country and per provider, plus the current month: to date
 * and projected at the rate so far.
 */
export async function billingReport(database: DatabaseHandle, r: DayRange, offsetMs: number, now: number) {
  const db = database.db
  const day = dayOf(database.kind, 'created_at', offsetMs)
  const cost = sql<number>`coalesce(sum(cost_usd), 0)`
  const inRange = db
    .selectFrom('sms_log')
    .where('created_at', '>=', r.startMs)
    .where('created_at', '<', r.endMs)

  const perDay = await inRange
    .select([day.as('day'), 'provider', cost.as('cost')])
    .groupBy([day, 'provider'])
    .execute()
  const perCountry = await inRange
    .select((eb) => ['country', cost.as('cost'), eb.fn.count<number>('cost_usd').as('priced')])
    .groupBy('country')
    .orderBy('cost', 'desc')
    .orderBy('country')
    .execute()
  const perProvider = await inRange
    .select((eb) => ['provider', cost.as('cost'), eb.fn.count<number>('cost_usd').as('priced')])
    .groupBy('provider')
    .orderBy('cost', 'desc')
    .orderBy('provider')
    .execute()
  const unpriced = await inRange
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cost_usd', 'is', null)
    .where('status', '!=', 'failed')
    .executeTakeFirstOrThrow()

  const index = new Map(r.days.map((d, i) => [d, i]))
  const byDay: Record<string, number[]> = {}
  for (const row of perDay) {
    const i = index.get(row.day)
    if (i === undefined) continue
    const series = byDay[row.provider] ?? r.days.map(() => 0)
    byDay[row.provider] = series
    series[i] = usd((series[i] ?? 0) + Number(row.cost))
  }

  // The month of today in ADMIN_TIMEZONE; projected = to date × month length / time elapsed.
  const today = dayAt(now, offsetMs)
  const monthStartDay = `${today.slice(0, 8)}01`
  const nextMonthDay = `${addDays(`${today.slice(0, 8)}28`, 4).slice(0, 8)}01`
  const monthStart = startOfDay(monthStartDay, offsetMs)
  const monthEnd = startOfDay(nextMonthDay, offsetMs)
  const todayStart = startOfDay(today, offsetMs)
  const sumSince = async (from: number) =>
    Number(
      (
        await db
          .selectFrom('sms_log')
          .select(cost.as('cost'))
          .where('created_at', '>=', from)
          .where('created_at', '<', now + 1)
          .executeTakeFirstOrThrow()
      ).cost,
    )
  const toDate = await sumSince(monthStart)
  const elapsed = Math.max(now - monthStart, 1)
  const total = Object.values(byDay).reduce((a, s) => a + s.reduce((x, y) => x + y, 0), 0)
  return {
    currency: 'USD' as const,
    from: r.from,
    to: r.to,
    days: r.days,
    cost_by_day: byDay,
    by_country: perCountry.map((c) => ({
      country: c.country,
      cost: usd(Number(c.cost)),
      messages: Number(c.priced),
    })),
    by_provider: perProvider.map((p) => ({
      provider: p.provider,
      cost: usd(Number(p.cost)),
      messages: Number(p.priced),
    })),
    total: usd(total),
    today: usd(await sumSince(todayStart)),
    unpriced: Number(unpriced.n),
    month: {
      month: today.slice(0, 7),
      to_date: usd(toDate),
      projected: usd((toDate * (monthEnd - monthStart)) / elapsed),
      days_elapsed: Number(today.slice(8, 10)),
      days_in_month: Math.round((monthEnd - monthStart) / 86_400_000),
    },
  }
}
