import Type, { type Static, type TObject } from 'typebox'
import { got } from '../settings.js'

/** Passkeys (WebAuthn): whose they are (the relying party) and which pages and apps may use them. */
export const PASSKEY_SETTINGS = {
  PASSKEY_RP_ID: Type.Optional(
    Type.String({
      // A host name (labels of letters, digits and inner hyphens) or localhost: WebAuthn takes no IP address.
      pattern: '^(localhost|(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63})$',
      description:
        'the domain passkeys belong to, such as royaltaxi.uz (no scheme, port or path; unset: localhost outside production, passkeys off in production)',
    }),
  ),
  PASSKEY_RP_NAME: Type.String({
    default: 'Royal Taxi',
    minLength: 1,
    maxLength: 64,
    description: 'the name a phone shows when it offers the passkey (1..64 characters)',
  }),
  PASSKEY_ORIGINS: Type.Optional(
    Type.String({
      description:
        'comma-separated origins passkeys are used from: https://host[:port] on PASSKEY_RP_ID or a subdomain, http://localhost[:port], android:apk-key-hash:<base64url SHA-256 of the app signing certificate>',
    }),
  ),
}

type PasskeyEnv = Static<TObject<typeof PASSKEY_SETTINGS>> & { APP_ENV: string }

/** An Android app's origin: the SHA-256 of its signing certificate, 32 bytes in base64url without padding. */
const ANDROID_ORIGIN = /^android:apk-key-hash:[A-Za-z0-9_-]{43}$/
/** Any port of localhost: what a developer's pages use when PASSKEY_ORIGINS is left unset. */
export const LOCALHOST_ORIGIN = /^http:\/\/localhost(:\d{1,5})?$/

export interface PasskeySettings {
  rpId: string
  rpName: string
  /** The origins a response may come from, compared exactly. */
  origins: string[]
  /** Development default: any http://localhost:<port> is accepted too. */
  anyLocalhostPort: boolean
}

/** The RP id: the setting, else localhost outside production; null turns passkeys off. */
function rpIdOf(env: PasskeyEnv): string | null {
  if (env.PASSKEY_RP_ID) return env.PASSKEY_RP_ID.toLowerCase()
  return env.APP_ENV === 'production' ? null : 'localhost'
}

/** Checks one origin against the RP id; a problem line, or null when it is fine. */
function originProblem(origin: string, rpId: string): string | null {
  if (ANDROID_ORIGIN.test(origin)) return null
  if (origin.startsWith('android:'))
    return `PASSKEY_ORIGINS: an Android origin is android:apk-key-hash: and 43 base64url characters (the SHA-256 of the signing certificate)${got(origin)}`
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return `PASSKEY_ORIGINS: not an origin${got(origin)}`
  }
  // An origin is scheme, host and port: a path, a trailing slash or user info would never match a browser's.
  if (url.origin !== origin)
    return `PASSKEY_ORIGINS: write the origin alone, as ${url.origin === 'null' ? 'https://host[:port]' : url.origin}${got(origin)}`
  if (url.protocol === 'http:' && url.hostname !== 'localhost')
    return `PASSKEY_ORIGINS: only localhost may use http:, others need https:${got(origin)}`
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `PASSKEY_ORIGINS: expected https:// or android:apk-key-hash:${got(origin)}`
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`))
    return `PASSKEY_ORIGINS: ${url.hostname} is neither PASSKEY_RP_ID (${rpId}) nor a subdomain of it, so browsers refuse its passkeys${got(origin)}`
  return null
}

const listed = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

export function passkeyProblems(env: PasskeyEnv): string[] {
  const rpId = rpIdOf(env)
  const origins = listed(env.PASSKEY_ORIGINS)
  if (rpId === null)
    return origins.length > 0
      ? ['PASSKEY_ORIGINS: set PASSKEY_RP_ID too (the domain the passkeys belong to)']
      : []
  return origins.map((o) => originProblem(o, rpId)).filter((p): p is string => p !== null)
}

export function passkeyConfig(env: PasskeyEnv) {
  const rpId = rpIdOf(env)
  const origins = listed(env.PASSKEY_ORIGINS)
  const settings: PasskeySettings | null =
    rpId === null
      ? null
      : {
          rpId,
          rpName: env.PASSKEY_RP_NAME,
          // Unset: the RP id's own https origin, or (localhost) any local port.
          origins: origins.length > 0 ? origins : rpId === 'localhost' ? [] : [`https://${rpId}`],
          anyLocalhostPort: origins.length === 0 && rpId === 'localhost',
        }
  return {
    /** null: passkeys are off (production without PASSKEY_RP_ID); the endpoints answer 404 PASSKEYS_DISABLED. */
    passkeys: settings,
  }
}
