import { isSupportedCountry } from 'libphonenumber-js/max'

// What an SMS costs: segments (how many parts a gateway bills) and a per-segment price per provider and
// destination country. Estimates are written when a message is sent; a price the gateway itself reports (a
// Twilio `price`, an Eskiz `total_price`) replaces the estimate later.

export type Encoding = 'GSM-7' | 'UCS-2'

export interface Segments {
  encoding: Encoding
  segments: number
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number
}

// The GSM 03.38 default alphabet, and its extension table whose characters take two septets (escape + char).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM_EXTENDED = '^{}\\[~]|€\f'
/** Septets per UTF-16 code unit: 1 in the basic alphabet, 2 in the extension table, 0 outside GSM-7. */
const SEPTETS = new Uint8Array(0x10000)
for (const ch of GSM_BASIC) SEPTETS[ch.charCodeAt(0)] = 1
for (const ch of GSM_EXTENDED) SEPTETS[ch.charCodeAt(0)] = 2

/**
 * Counts the segments a text is billed as. GSM-7 when every character is in the GSM alphabet (160 a single
 * message, 153 per part of a long one; extension characters such as € count twice), otherwise UCS-2 (70, 67 per
 * part; characters outside the BMP such as emoji count twice). Cyrillic texts are always UCS-2.
 */
export function countSegments(text: string): Segments {
  let septets = 0
  let gsm = true
  // By code unit: a character outside the BMP (two units, both 0 in the table) is not GSM-7 either.
  for (let i = 0; i < text.length; i++) {
    const n = SEPTETS[text.charCodeAt(i)] as number
    if (n === 0) {
      gsm = false
      break
    }
    septets += n
  }
  if (gsm) {
    const segments = septets === 0 ? 1 : septets <= 160 ? 1 : Math.ceil(septets / 153)
    return { encoding: 'GSM-7', segments, units: septets }
  }
  const units = text.length
  const segments = units <= 70 ? 1 : Math.ceil(units / 67)
  return { encoding: 'UCS-2', segments, units }
}

export type Currency = 'USD' | 'UZS'

interface ProviderPrices {
  currency: Currency
  /** Price of one segment by ISO country code; `*` for every other country. */
  perSegment: Record<string, number>
}

/**
 * Default per-segment prices. Twilio: its published per-segment prices in dollars. Eskiz and Playmobile: a
 * typical service-SMS price for Uzbek numbers in so'm (local gateways charge roughly 50–100 so'm; each
 * contract differs, so set yours with SMS_PRICES). The HTTP gateway has no default price: set one with
 * SMS_PRICES (in so'm unless the entry says USD). Countries not listed have no estimate (cost left empty).
 */
export const DEFAULT_PRICES: Record<string, ProviderPrices> = {
  twilio: { currency: 'USD', perSegment: { UZ: 0.053, RU: 0.0117, US: 0.0079, TR: 0.0065 } },
  eskiz: { currency: 'UZS', perSegment: { UZ: 90 } },
  playmobile: { currency: 'UZS', perSegment: { UZ: 80 } },
  http: { currency: 'UZS', perSegment: {} },
  // Telegram Gateway's published fee per message, anywhere; refunded when not delivered within the ttl.
  telegram: { currency: 'USD', perSegment: { '*': 0.01 } },
}

export interface Cost {
  amount: number
  currency: Currency
  usd: number
}

export interface PriceSettings {
  prices: readonly PriceOverride[]
  uzsPerUsd: number
}

export function toUsd(amount: number, currency: Currency, uzsPerUsd: number): number {
  return currency === 'USD' ? amount : amount / uzsPerUsd
}

/** Rounds away binary noise (0.053 × 3 = 0.15900000000000003) without losing a so'm's fraction. */
const round = (n: number) => Math.round(n * 1e6) / 1e6

/**
 * Estimated cost of `segments` segments from `provider` to `country`, from the default table with SMS_PRICES
 * overrides applied; null when no price is known (a country the table does not list and no `*` entry).
 */
export function estimateCost(
  settings: PriceSettings,
  provider: string,
  country: string,
  segments: number,
): Cost | null {
  const base = DEFAULT_PRICES[provider]
  let currency: Currency = base?.currency ?? 'USD'
  let unit: number | undefined = base?.perSegment[country]
  let unitIsWildcard = unit === undefined
  if (unit === undefined) unit = base?.perSegment['*']
  for (const o of settings.prices) {
    if (o.provider !== provider) continue
    // A country's own entry beats `*`, whatever order they were written in.
    if (o.country === country || (o.country === '*' && (unitIsWildcard || unit === undefined))) {
      unit = o.amount
      currency = o.currency ?? base?.currency ?? 'USD'
      unitIsWildcard = o.country === '*'
    }
  }
  if (unit === undefined) return null
  const amount = round(unit * segments)
  return { amount, currency, usd: round(toUsd(amount, currency, settings.uzsPerUsd)) }
}

/** A price a gateway reported (Twilio's `price`, Eskiz's `total_price`), when it is in a currency we total. */
export function reportedCost(
  price: { amount: number; currency: string } | null | undefined,
  uzsPerUsd: number,
): Cost | null {
  if (!price || !Number.isFinite(price.amount)) return null
  const currency = price.currency.toUpperCase()
  if (currency !== 'USD' && currency !== 'UZS') return null
  const amount = Math.abs(price.amount)
  return { amount, currency, usd: round(toUsd(amount, currency, uzsPerUsd)) }
}

export interface PriceOverride {
  provider: string
  /** ISO code or `*` for every country without its own price. */
  country: string
  amount: number
  /** null: the provider's own currency. */
  currency: 'USD' | 'UZS' | null
}

/** Parses SMS_PRICES: `eskiz:UZ=85;twilio:KZ=0.21 USD;http:*=70 UZS`, naming only `providers`. */
export function parsePrices(
  raw: string,
  providers: readonly string[],
): { prices: PriceOverride[]; problems: string[] } {
  const problems: string[] = []
  const prices: PriceOverride[] = []
  for (const entry of raw.split(';').map((e) => e.trim())) {
    if (!entry) continue
    const m = /^([a-z]+):(\*|[A-Za-z]{2})\s*=\s*(\d+(?:\.\d+)?)\s*(USD|UZS)?$/i.exec(entry)
    if (!m) {
      problems.push(`SMS_PRICES: expected provider:COUNTRY=price[ USD|UZS] (got ${JSON.stringify(entry)})`)
      continue
    }
    const provider = (m[1] as string).toLowerCase()
    if (!providers.includes(provider))
      problems.push(`SMS_PRICES: unknown provider "${provider}" (expected ${providers.join(', ')})`)
    const country = (m[2] as string).toUpperCase()
    if (country !== '*' && !isSupportedCountry(country))
      problems.push(`SMS_PRICES: unknown country code "${country}"`)
    prices.push({
      provider,
      country,
      amount: Number(m[3]),
      currency: m[4] ? (m[4].toUpperCase() as 'USD' | 'UZS') : null,
    })
  }
  return { prices, problems }
}
