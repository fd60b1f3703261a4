import type { ExpressionBuilder } from 'kysely'
import type { SmsProvider } from '../channels/provider.js'
import type { Db } from '../db/index.js'
import type { Database } from '../db/schema.js'
import type { ProviderBalanceOut } from './billing-schemas.js'
import { addDays, type DayRange, dayAt, dayOfNumber, localDay, startOfDay } from './days.js'

const BALANCE_TIMEOUT_MS = 5000

const usd = (n: number) => Math.round(n * 10_000) / 10_000
/** The dollars of the rows in a group; 0 for none. */
const cost = (eb: ExpressionBuilder<Database, 'sms_log'>) =>
  eb.fn.coalesce(eb.fn.sum<number>('cost_usd'), eb.lit(0))

/**
 * Costs from the SMS log's `cost_usd` (the gateway's reported price where it gave one, else the price-table
 * estimate), summed per local day and provider, per country and per provider, plus the current month: to date
 * and projected at the rate so far.
 */
export async function billingReport(db: Db, r: DayRange, now: number) {
  const offsetMs = r.offsetMs
  const inRange = db
    .selectFrom('sms_log')
    .where('created_at', '>=', r.startMs)
    .where('created_at', '<', r.endMs)

  const perDay = await inRange
    .select((eb) => [localDay(eb, 'created_at', offsetMs).as('day'), 'provider', cost(eb).as('cost')])
    .groupBy((eb) => [localDay(eb, 'created_at', offsetMs), 'provider'])
    .execute()
  const perCountry = await inRange
    .select((eb) => ['country', cost(eb).as('cost'), eb.fn.count<number>('cost_usd').as('priced')])
    .groupBy('country')
    .orderBy('cost', 'desc')
    .orderBy('country')
    .execute()
  const perProvider = await inRange
    .select((eb) => ['provider', cost(eb).as('cost'), eb.fn.count<number>('cost_usd').as('priced')])
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
    const i = index.get(dayOfNumber(row.day))
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
          .select((eb) => cost(eb).as('cost'))
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

/** Asks every provider that reports a balance, all at once, each within a few seconds. */
export async function balances(providers: readonly SmsProvider[]): Promise<ProviderBalanceOut[]> {
  return await Promise.all(
    providers.map(async (p): Promise<ProviderBalanceOut> => {
      const none = { provider: p.name, balance: null, currency: null }
      if (!p.balance) return { ...none, error: null }
      try {
        const b = await p.balance(AbortSignal.timeout(BALANCE_TIMEOUT_MS))
        return { provider: p.name, balance: b.amount, currency: b.currency, error: null }
      } catch (err) {
        return { ...none, error: err instanceof Error ? err.message : String(err) }
      }
    }),
  )
}

/**
 * What one provider cost a day over the last `days` days, in `currency` (so'm for Eskiz), from the SMS log:
 * the rate a balance is drawn down at.
 */
export async function dailySpend(
  db: Db,
  provider: string,
  currency: string,
  days: number,
  now: number,
): Promise<number> {
  const row = await db
    .selectFrom('sms_log')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('cost'), eb.lit(0)).as('spent'))
    .where('provider', '=', provider)
    .where('currency', '=', currency)
    .where('created_at', '>=', now - days * 86_400_000)
    .where('created_at', '<', now + 1)
    .executeTakeFirstOrThrow()
  return Math.round((Number(row.spent) / days) * 100) / 100
}
