import Type from 'typebox'
import { BALANCE_DAYS, eskizApi, eskizReport, type TextToCheck } from '../channels/eskiz/texts.js'
import type { SmsProvider } from '../channels/provider.js'
import type { Db } from '../db/index.js'
import { dailySpend } from './billing.js'

// The Billing tab's Eskiz checks: whether Eskiz bills every text the service sends as a service SMS, the
// price per part each operator was billed this month, and how long the balance lasts at the recent rate
// (src/channels/eskiz/texts.ts asks Eskiz; the rate comes from the SMS log).

/** Eskiz may take a few seconds per call; the texts are checked in parallel. */
const ESKIZ_TIMEOUT_MS = 10_000

const strict = { additionalProperties: false } as const
const Soum = Type.Union([Type.Number(), Type.Null()])

export const EskizTextsResponse = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Whether Eskiz is configured; false: nothing else is filled' }),
    texts: Type.Array(
      Type.Object(
        {
          label: Type.String({ description: 'Language, client and app, e.g. "uz android driver"' }),
          text: Type.String({ description: 'The text as sent, with an example code' }),
          verdict: Type.Enum(['service', 'pending', 'advertising', 'rejected', 'missing'], {
            description: "How Eskiz bills it: its best matching template's status, or missing",
          }),
          template: Type.Union([
            Type.Object({ id: Type.Integer(), status: Type.String() }, strict),
            Type.Null(),
          ]),
          special: Type.Array(Type.String(), { description: 'Characters Eskiz bills or replaces' }),
        },
        strict,
      ),
    ),
    operators: Type.Array(
      Type.Object(
        {
          operator: Type.String(),
          service: Soum,
          advertising: Soum,
        },
        { ...strict, description: "So'm per part billed this month, service and advertising texts" },
      ),
    ),
    balance: Soum,
    per_day: Type.Number({ description: `So'm a day, over the SMS log's last ${BALANCE_DAYS} days` }),
    days_left: Type.Union([Type.Number(), Type.Null()], {
      description: 'Days the balance lasts at that rate; null when nothing was spent',
    }),
    low_balance: Type.Boolean({ description: `The balance will not last ${BALANCE_DAYS} days` }),
    errors: Type.Array(Type.String(), { description: 'Calls Eskiz did not answer' }),
  },
  strict,
)

/** The report for the console; `enabled: false` when no provider is Eskiz. */
export async function eskizTexts(
  db: Db,
  providers: readonly SmsProvider[],
  texts: readonly TextToCheck[],
  now: number,
) {
  const api = eskizApi(providers)
  const none = { texts: [], operators: [], balance: null, per_day: 0, days_left: null, low_balance: false }
  if (!api) return { enabled: false, ...none, errors: [] }
  const perDay = await dailySpend(db, 'eskiz', 'UZS', BALANCE_DAYS, now)
  try {
    const r = await eskizReport(api, texts, perDay, AbortSignal.timeout(ESKIZ_TIMEOUT_MS), now)
    return {
      enabled: true,
      texts: r.texts,
      operators: r.operators,
      balance: r.balance,
      per_day: r.perDay,
      days_left: r.daysLeft,
      low_balance: r.daysLeft !== null && r.daysLeft < BALANCE_DAYS,
      errors: r.errors,
    }
  } catch (err) {
    // The login itself was refused or timed out: nothing could be asked.
    return {
      enabled: true,
      ...none,
      per_day: perDay,
      errors: [err instanceof Error ? err.message : String(err)],
    }
  }
}
