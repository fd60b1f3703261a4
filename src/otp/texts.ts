import type { Language } from '../config/server.js'
import { en } from '../i18n/en.js'
import { ru } from '../i18n/ru.js'
import { type Messages, uz } from '../i18n/uz.js'
import { countSegments, type Segments } from '../pricing.js'

// The SMS a code goes out in. Without autofill settings it is the seed's text, byte for byte. With them, a
// request that names its client gets a shorter body and one more line its phone reads the code from:
// Android's SMS Retriever wants the app's 11-character hash on the last line; WebOTP (browsers) and iOS want
// `@<domain> #<code>` as the last line. The shorter body keeps Uzbek and English within one GSM-7 segment
// (160 septets) and Russian within two UCS-2 ones with the extra line.

// Imported one by one, not through i18n/index.ts, which reads LANGUAGES from config.ts: the configuration
// checks that every variant fits a segment, and importing the index from there would be a cycle.
const TEXTS: Record<Language, Messages> = { uz, ru, en }

export const CLIENTS = ['android', 'ios', 'web'] as const
export type Client = (typeof CLIENTS)[number]
export const APPS = ['passenger', 'driver'] as const
export type App = (typeof APPS)[number]

/** ANDROID_APP_HASHES and WEBOTP_DOMAIN as the service reads them. */
export interface AutofillSettings {
  /** The SMS Retriever hash of each app that has one. */
  androidAppHashes: Partial<Record<App, string>>
  /** The host WebOTP and iOS bind the code to; null when unset. */
  webOtpDomain: string | null
}

export const NO_AUTOFILL: AutofillSettings = { androidAppHashes: {}, webOtpDomain: null }

/** Who the code is for, as send-otp says; both optional. */
export interface Recipient {
  client?: Client | undefined
  app?: App | undefined
}

/** The line a phone fills the code in from, or null when the settings give this client none. */
export function autofillLine(autofill: AutofillSettings, recipient: Recipient, code: string): string | null {
  if (recipient.client === 'android') return autofill.androidAppHashes[recipient.app ?? 'passenger'] ?? null
  if (recipient.client === 'ios' || recipient.client === 'web')
    return autofill.webOtpDomain === null ? null : `@${autofill.webOtpDomain} #${code}`
  return null
}

/** The text of the SMS that carries `code`. */
export function smsText(
  autofill: AutofillSettings,
  lang: Language,
  code: string,
  minutes: number,
  recipient: Recipient = {},
): string {
  const line = autofillLine(autofill, recipient, code)
  if (line === null) return TEXTS[lang].smsBody({ code, minutes })
  return `${TEXTS[lang].smsAutofillBody({ code, minutes })}\n${line}`
}

/** One text the service can send: which language, client and app it is for. */
export interface TextVariant {
  lang: Language
  /** null: a request that names no client (or one the settings give no line). */
  client: Client | null
  app: App | null
  text: string
  segments: Segments
}

/**
 * Every distinct text the settings can produce, rendered with `code`: the plain text per language, and per
 * language each client and app that gets a line of its own. What the Eskiz checks and the segment checks go
 * through.
 */
export function textVariants(autofill: AutofillSettings, code: string, minutes: number): TextVariant[] {
  const variants: TextVariant[] = []
  for (const lang of Object.keys(TEXTS) as Language[]) {
    const add = (client: Client | null, app: App | null, recipient: Recipient) => {
      const text = smsText(autofill, lang, code, minutes, recipient)
      variants.push({ lang, client, app, text, segments: countSegments(text) })
    }
    add(null, null, {})
    for (const app of APPS)
      if (autofill.androidAppHashes[app] !== undefined) add('android', app, { client: 'android', app })
    // iOS and the web get the same line, so the same text: one variant for both.
    if (autofill.webOtpDomain !== null) add('web', null, { client: 'web' })
  }
  return variants
}

/** The most segments a text in `lang` may take: one GSM-7 segment, or two UCS-2 ones for Cyrillic. */
export const MAX_SEGMENTS: Record<Language, { encoding: Segments['encoding']; segments: number }> = {
  uz: { encoding: 'GSM-7', segments: 1 },
  en: { encoding: 'GSM-7', segments: 1 },
  ru: { encoding: 'UCS-2', segments: 2 },
}

/** Variants that break their language's bound (a longer alphabet or more segments): empty when all fit. */
export function oversized(variants: readonly TextVariant[]): TextVariant[] {
  return variants.filter((v) => {
    const max = MAX_SEGMENTS[v.lang]
    const wider = max.encoding === 'GSM-7' && v.segments.encoding !== 'GSM-7'
    return wider || v.segments.segments > max.segments
  })
}

/**
 * Every text the settings can send, with an example code of `codeLength` digits, each labelled by its
 * language, client and app ("uz", "ru android driver", "en web/ios"): what the Eskiz checks go through.
 */
export function labelledTexts(
  autofill: AutofillSettings,
  codeLength: number,
  minutes: number,
): { label: string; text: string }[] {
  const code = '1234567890'.slice(0, codeLength)
  return textVariants(autofill, code, minutes).map((v) => ({
    label: [v.lang, v.client === 'web' ? 'web/ios' : v.client, v.app].filter(Boolean).join(' '),
    text: v.text,
  }))
}
