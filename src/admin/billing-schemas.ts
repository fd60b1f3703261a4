import Type, { type Static } from 'typebox'
import { Day, NullableString, strict, Usd } from './schemas.js'

// The Billing tab's answer: costs by day, country and provider, the month's projection, what passkeys
// saved, and the gateways' balances.

const ProviderBalance = Type.Object(
  {
    provider: Type.String(),
    balance: Type.Union([Type.Number(), Type.Null()], {
      description: "In the gateway's currency; null when it reports none or could not be asked",
    }),
    currency: NullableString,
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the balance could not be read',
    }),
  },
  strict,
)

export const BillingResponse = Type.Object(
  {
    currency: Type.Literal('USD', {
      description: "Every amount below (so'm costs converted at SMS_UZS_PER_USD)",
    }),
    time_zone: Type.String(),
    from: Day,
    to: Day,
    days: Type.Array(Day),
    cost_by_day: Type.Record(Type.String(), Type.Array(Usd), {
      description: 'Per provider, one value per day',
    }),
    by_country: Type.Array(
      Type.Object(
        { country: Type.String(), cost: Usd, messages: Type.Integer({ description: 'Priced attempts' }) },
        strict,
      ),
    ),
    by_provider: Type.Array(
      Type.Object({ provider: Type.String(), cost: Usd, messages: Type.Integer() }, strict),
    ),
    total: Usd,
    today: Usd,
    unpriced: Type.Integer({ description: 'Attempts sent without a known price (not in the totals)' }),
    month: Type.Object(
      {
        month: Type.String({ description: 'YYYY-MM in ADMIN_TIMEZONE' }),
        to_date: Usd,
        projected: Type.Number({ description: 'To date scaled to the whole month at the rate so far' }),
        days_elapsed: Type.Integer(),
        days_in_month: Type.Integer(),
      },
      strict,
    ),
    passkeys: Type.Object(
      {
        sign_ins: Type.Integer({ description: 'Sign-ins with a passkey in the range: no code SMS sent' }),
        saved: Type.Number({
          description:
            "What those SMS would have cost: each number's route price when it signed in (US dollars)",
        }),
        unpriced: Type.Integer({ description: 'Sign-ins whose route had no known price (not in `saved`)' }),
        sign_ins_by_day: Type.Array(Type.Integer()),
        saved_by_day: Type.Array(Type.Number()),
      },
      strict,
    ),
    balances: Type.Array(ProviderBalance),
  },
  strict,
)

export type ProviderBalanceOut = Static<typeof ProviderBalance>
