import type { Check } from '../connector.js'
import type { GatewayRequest, GatewayResponse } from '../fetch.js'
import { SmsError, type SmsProvider } from '../provider.js'
import { mapEskizError } from './provider.js'

// Before a text costs money: Eskiz bills a text as a service SMS only when it matches a template its
// moderators approved as service ("service"); anything else goes out as advertising ("reklama", about 115
// so'm to Ucell instead of the service price) or is refused. Asked of Eskiz: the templates
// (GET /api/user/templates), each text's special characters (POST /api/message/sms/normalizer: a character
// outside the plain alphabet makes a text dearer), this month's spending per operator
// (POST /api/report/total-by-smsc: the price per part each operator was billed at) and the balance.

/** What the report needs of the Eskiz provider: its authorized call (the bearer token renewed as sends do). */
export interface EskizApi {
  authorized(
    request: () => { path: string; init: GatewayRequest },
    signal: AbortSignal,
  ): Promise<GatewayResponse>
}

/** The provider named eskiz, when it offers the calls the report makes (a wrapped provider passes them on). */
export function eskizApi(providers: readonly SmsProvider[]): EskizApi | null {
  const p = providers.find((x) => x.name === 'eskiz') as (SmsProvider & Partial<EskizApi>) | undefined
  return p && typeof p.authorized === 'function' ? (p as EskizApi) : null
}

export interface TextToCheck {
  /** Which variant, e.g. "uz", "ru android driver". */
  label: string
  text: string
}

/** How Eskiz would bill a text: its best matching template's status, or none. */
export type Verdict = 'service' | 'pending' | 'advertising' | 'rejected' | 'missing'

const VERDICTS: Record<string, Verdict> = {
  service: 'service',
  moderation: 'pending',
  inproccess: 'pending',
  reklama: 'advertising',
  rejected: 'rejected',
}
// When several templates match, the one that bills best decides.
const RANK: Verdict[] = ['service', 'pending', 'advertising', 'rejected', 'missing']

// Eskiz's smsc_id → operator (the table in its OpenAPI, /api/report/total-by-smsc).
const OPERATORS: Record<number, string> = {
  1: 'Mobiuz',
  2: 'Beeline',
  3: 'Ucell',
  4: 'Humans',
  5: 'Uzmobile GSM',
  6: 'Uzmobile CDMA',
  7: 'Perfectum',
  8: 'Global',
}

/** Days the balance must last at the current rate before the report warns. */
export const BALANCE_DAYS = 7

export interface TextResult extends TextToCheck {
  verdict: Verdict
  template: { id: number; status: string } | null
  /** Characters Eskiz would replace or bill as Unicode. */
  special: string[]
}

export interface OperatorPrice {
  operator: string
  /** So'm per part this month: service texts, advertising texts; null when none was sent. */
  service: number | null
  advertising: number | null
}

export interface EskizReport {
  texts: TextResult[]
  operators: OperatorPrice[]
  balance: number | null
  /** So'm a day at the rate of the SMS log's recent days. */
  perDay: number
  /** Days the balance lasts at that rate; null when nothing was spent. */
  daysLeft: number | null
  /** Calls Eskiz did not answer (the rest of the report stands). */
  errors: string[]
}

interface Template {
  id: number
  status: string
  texts: string[]
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Whether `text` is an instance of a template: the template's placeholders (%w, %d, %s, {name}, {{name}})
 * stand for any text on one line, and its digits for any digits, so a template written with an example code
 * or lifetime matches every code and lifetime.
 */
export function matchesTemplate(template: string, text: string): boolean {
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').trim()
  const parts = norm(template).split(/(%[wds]|\{\{[^}]*\}\}|\{[^}]*\}|\d+)/)
  const pattern = parts
    .map((p, i) => (i % 2 === 0 ? escapeRegExp(p) : /^\d+$/.test(p) ? '\\d+' : '[^\\n]+?'))
    .join('')
  return new RegExp(`^${pattern}$`).test(norm(text))
}

function judge(text: string, templates: readonly Template[]): Pick<TextResult, 'verdict' | 'template'> {
  let best: Pick<TextResult, 'verdict' | 'template'> = { verdict: 'missing', template: null }
  for (const t of templates) {
    if (!t.texts.some((tpl) => tpl && matchesTemplate(tpl, text))) continue
    const verdict = VERDICTS[t.status] ?? 'pending'
    if (RANK.indexOf(verdict) < RANK.indexOf(best.verdict))
      best = { verdict, template: { id: t.id, status: t.status } }
  }
  return best
}

const num = (v: unknown): number | null => {
  const n = Number(v)
  return v !== null && v !== undefined && v !== '' && Number.isFinite(n) ? n : null
}
const perPart = (spent: unknown, parts: unknown) => {
  const s = num(spent)
  const p = num(parts)
  return s !== null && p ? Math.round((s / p) * 100) / 100 : null
}

/**
 * Asks Eskiz about every text, its prices and balance; `perDay` is the spending rate in so'm (from the SMS
 * log). A failed call is listed in `errors`; only a refused login throws (its SmsError).
 */
export async function eskizReport(
  api: EskizApi,
  texts: readonly TextToCheck[],
  perDay: number,
  signal: AbortSignal,
  now = Date.now(),
): Promise<EskizReport> {
  const errors: string[] = []
  const call = async (what: string, path: string, init: () => GatewayRequest) => {
    try {
      const res = await api.authorized(() => ({ path, init: init() }), signal)
      if (res.status === 200) return res.json as Record<string, unknown> | null
      errors.push(`${what}: ${mapEskizError(res).message} (${res.status})`)
    } catch (err) {
      // A refused login refuses every call alike: one answer for the whole report, not one per text.
      if (err instanceof SmsError && err.kind === 'auth_failed') throw err
      errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`)
    }
    return null
  }
  const form = (fields: Record<string, string>) => (): GatewayRequest => ({ method: 'POST', body: fields })
  // This month in Tashkent time, as Eskiz's reports count it.
  const tashkent = new Date(now + 5 * 3600 * 1000)
  const [templatesBody, totals, limit, ...normalized] = await Promise.all([
    call('templates', '/api/user/templates', () => ({ method: 'GET' })),
    call(
      'prices per operator',
      '/api/report/total-by-smsc',
      form({ year: String(tashkent.getUTCFullYear()), month: String(tashkent.getUTCMonth() + 1) }),
    ),
    call('balance', '/api/user/get-limit', () => ({ method: 'GET' })),
    ...texts.map((t) =>
      call(`text check (${t.label})`, '/api/message/sms/normalizer', form({ message: t.text })),
    ),
  ])
  const rawTemplates = Array.isArray(templatesBody?.result) ? (templatesBody.result as unknown[]) : []
  const templates: Template[] = rawTemplates.map((r) => {
    const t = (r ?? {}) as Record<string, unknown>
    return {
      id: Number(t.id),
      status: String(t.status ?? ''),
      texts: [t.original_text, t.template].filter((s): s is string => typeof s === 'string'),
    }
  })
  const results = texts.map((t, i): TextResult => {
    const chars = (normalized[i] as { special_characters?: unknown } | null)?.special_characters
    const special = Array.isArray(chars)
      ? [...new Set(chars.map((c) => String((c as { char?: unknown })?.char ?? '')).filter(Boolean))]
      : []
    return { ...t, ...judge(t.text, templates), special }
  })
  const rows = Array.isArray(totals?.data) ? (totals.data as Record<string, unknown>[]) : []
  const operators = rows.map((r) => ({
    operator: OPERATORS[Number(r.smsc_id)] ?? `smsc ${String(r.smsc_id)}`,
    service: perPart(r.spent, r.parts),
    advertising: perPart(r.ad_spent, r.ad_parts),
  }))
  const balance = num((limit?.data as { balance?: unknown } | undefined)?.balance)
  const daysLeft = balance !== null && perDay > 0 ? Math.round((balance / perDay) * 10) / 10 : null
  return { texts: results, operators, balance, perDay, daysLeft, errors }
}

const soum = (n: number) => `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(n)} so'm`
const CABINET = 'https://my.eskiz.uz'

/** The report as the doctor's lines. */
export function reportChecks(section: string, r: EskizReport): Check[] {
  const checks: Check[] = []
  for (const t of r.texts) {
    const which = `the ${t.label} text`
    if (t.verdict === 'service')
      checks.push({ section, status: 'ok', message: `${which} matches service template #${t.template?.id}` })
    else if (t.verdict === 'pending')
      checks.push({
        section,
        status: 'warn',
        message: `${which} matches template #${t.template?.id}, still in moderation (${t.template?.status})`,
        fix: `wait for Eskiz moderation at ${CABINET} → Templates`,
      })
    // A rated or rejected template is a decision to act on; a missing one may only not be submitted yet.
    else
      checks.push({
        section,
        status: t.verdict === 'missing' ? 'warn' : 'fail',
        message:
          t.verdict === 'missing'
            ? `${which} matches no Eskiz template: until one is approved it is refused or billed as advertising`
            : `${which} matches template #${t.template?.id}, rated ${t.verdict === 'advertising' ? 'advertising (reklama)' : 'rejected'} by Eskiz`,
        fix: `submit it as a service template at ${CABINET} → Templates: ${JSON.stringify(t.text)}`,
      })
    if (t.special.length > 0)
      checks.push({
        section,
        status: 'warn',
        message: `${which} has characters Eskiz bills or replaces as special: ${t.special.join(' ')}`,
      })
  }
  const priced = r.operators.filter((o) => o.service !== null || o.advertising !== null)
  if (priced.length > 0)
    checks.push({
      section,
      status: 'ok',
      message: `price per part this month: ${priced
        .map(
          (o) =>
            `${o.operator} ${o.service === null ? '–' : soum(o.service)}${o.advertising === null ? '' : ` (advertising ${soum(o.advertising)})`}`,
        )
        .join(', ')}`,
    })
  if (r.balance !== null && r.daysLeft !== null && r.daysLeft < BALANCE_DAYS)
    checks.push({
      section,
      status: 'warn',
      message: `the balance of ${soum(r.balance)} lasts about ${r.daysLeft} days at the recent rate of ${soum(r.perDay)} a day`,
      fix: `top up at ${CABINET} → Billing before it runs out`,
    })
  for (const e of r.errors) checks.push({ section, status: 'warn', message: `Eskiz did not answer the ${e}` })
  return checks
}
