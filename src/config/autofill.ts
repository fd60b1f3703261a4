import Type, { type Static, type TObject } from 'typebox'
import { APPS, type App, type AutofillSettings, MAX_SEGMENTS, oversized, textVariants } from '../otp/texts.js'
import { got } from '../settings.js'

/** Codes phones fill in by themselves: the Android apps' SMS Retriever hashes and the WebOTP / iOS domain. */
export const AUTOFILL_SETTINGS = {
  ANDROID_APP_HASHES: Type.Optional(
    Type.String({
      description:
        'app:hash pairs, comma-separated, each hash the 11-character SMS Retriever hash of the app, e.g. passenger:FA+9qCX9VSu,driver:Jv7dY0oQdEf',
    }),
  ),
  WEBOTP_DOMAIN: Type.Optional(
    Type.String({
      // Labels of letters, digits and inner hyphens, at least two of them: a host name, not a URL.
      pattern: '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$',
      description: 'a host name such as royaltaxi.uz (no scheme, port or path)',
    }),
  ),
}

type AutofillEnv = Static<TObject<typeof AUTOFILL_SETTINGS>> & {
  OTP_LENGTH: number
  OTP_TTL_SECONDS: number
}

// What Google's AppSignatureHelper prints: 11 characters of the standard base64 alphabet.
const HASH = /^[A-Za-z0-9+/]{11}$/

function parseHashes(raw: string): { hashes: Partial<Record<App, string>>; problems: string[] } {
  const hashes: Partial<Record<App, string>> = {}
  const problems: string[] = []
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (!entry) continue
    const colon = entry.indexOf(':')
    const app = (colon < 0 ? '' : entry.slice(0, colon).trim().toLowerCase()) as App
    const hash = colon < 0 ? '' : entry.slice(colon + 1).trim()
    if (colon < 0) problems.push(`ANDROID_APP_HASHES: expected app:hash${got(entry)}`)
    else if (!APPS.includes(app))
      problems.push(`ANDROID_APP_HASHES: unknown app "${app}" (expected ${APPS.join(' or ')})`)
    else if (!HASH.test(hash))
      problems.push(
        `ANDROID_APP_HASHES: the ${app} hash must be exactly 11 characters of A-Z, a-z, 0-9, + and /${got(hash)}`,
      )
    else if (hashes[app] !== undefined) problems.push(`ANDROID_APP_HASHES: ${app} is named twice`)
    else hashes[app] = hash
  }
  return { hashes, problems }
}

function settingsOf(env: AutofillEnv): AutofillSettings {
  return {
    androidAppHashes: env.ANDROID_APP_HASHES ? parseHashes(env.ANDROID_APP_HASHES).hashes : {},
    webOtpDomain: env.WEBOTP_DOMAIN?.toLowerCase() ?? null,
  }
}

export function autofillProblems(env: AutofillEnv): string[] {
  const problems = env.ANDROID_APP_HASHES ? parseHashes(env.ANDROID_APP_HASHES).problems : []
  if (problems.length > 0) return problems
  // The longest code and the configured lifetime: a text that fits with them fits with every code.
  const variants = textVariants(settingsOf(env), '9'.repeat(env.OTP_LENGTH), env.OTP_TTL_SECONDS / 60)
  for (const v of oversized(variants)) {
    const max = MAX_SEGMENTS[v.lang]
    problems.push(
      `WEBOTP_DOMAIN: with "@${env.WEBOTP_DOMAIN} #<code>" the ${v.lang} SMS takes ${v.segments.segments} ${v.segments.encoding} segments (${v.segments.units} characters), more than the ${max.segments} it may: use a shorter domain`,
    )
  }
  return problems
}

export function autofillConfig(env: AutofillEnv) {
  return { autofill: settingsOf(env) }
}
