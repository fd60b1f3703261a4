import { readFileSync } from 'node:fs'
import type { Static, TObject } from 'typebox'
import { baseUrl, bool, got, optionalString, withoutTrailingSlashes } from '../../settings.js'
import type { ReceiptLinks } from '../connector.js'

export const TWILIO_SETTINGS = {
  TWILIO_ENABLED: bool(false, 'true or false'),
  TWILIO_ACCOUNT_SID: optionalString('AC followed by 32 hexadecimal digits'),
  TWILIO_AUTH_TOKEN: optionalString('the Auth Token from the Twilio console (32 hexadecimal characters)'),
  TWILIO_PHONE_NUMBER: optionalString('an E.164 number such as +15017122661'),
  TWILIO_MESSAGING_SERVICE_SID: optionalString('MG followed by 32 hexadecimal digits'),
  TWILIO_API_BASE_URL: baseUrl('https://api.twilio.com'),
  TWILIO_CA_BUNDLE: optionalString('a readable PEM file of certificate authorities'),
  // Often set machine-wide for other programs: checked only when Twilio, the one user, is enabled.
  HTTP_PROXY: optionalString('an http(s) URL such as http://proxy.internal:3128'),
  HTTPS_PROXY: optionalString('an http(s) URL such as http://proxy.internal:3128'),
  NO_PROXY: optionalString('host names, .domain suffixes or host:port, comma-separated, or *'),
}
// A proxy's URL may carry its user and password.
export const TWILIO_SECRETS = ['TWILIO_AUTH_TOKEN', 'HTTP_PROXY', 'HTTPS_PROXY']

type TwilioEnv = Static<TObject<typeof TWILIO_SETTINGS>>

/** A proxy setting as a URL: `proxy:3128` without a scheme means http://, as curl reads it. Null if unusable. */
function proxyUrl(value: string): string | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  try {
    const url = new URL(withScheme)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? withScheme : null
  } catch {
    return null
  }
}

/** Why a CA bundle cannot be used (missing, unreadable, no certificate in it), or null when it can. */
function unreadablePem(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').includes('-----BEGIN CERTIFICATE-----')
      ? null
      : 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message
  }
}

export function twilioProblems(env: TwilioEnv): string[] {
  const problems: string[] = []
  if (!env.TWILIO_ACCOUNT_SID) problems.push('TWILIO_ACCOUNT_SID: required when TWILIO_ENABLED=true')
  else if (!/^AC[0-9a-fA-F]{32}$/.test(env.TWILIO_ACCOUNT_SID))
    problems.push(
      `TWILIO_ACCOUNT_SID: expected AC followed by 32 hexadecimal digits${got(env.TWILIO_ACCOUNT_SID)}`,
    )
  if (!env.TWILIO_AUTH_TOKEN) problems.push('TWILIO_AUTH_TOKEN: required when TWILIO_ENABLED=true')
  // Twilio's Auth Token is 32 hexadecimal characters; anything else is a bad paste (the console's masked
  // dots, half the token) that would only show up as 20003 Authenticate on the first SMS. Value not echoed.
  else if (!/^[0-9a-fA-F]{32}$/.test(env.TWILIO_AUTH_TOKEN))
    problems.push(
      'TWILIO_AUTH_TOKEN: expected the 32 hexadecimal characters of the Auth Token from the Twilio console (value not shown)',
    )
  if (env.TWILIO_MESSAGING_SERVICE_SID) {
    if (!/^MG[0-9a-fA-F]{32}$/.test(env.TWILIO_MESSAGING_SERVICE_SID))
      problems.push(
        `TWILIO_MESSAGING_SERVICE_SID: expected MG followed by 32 hexadecimal digits${got(env.TWILIO_MESSAGING_SERVICE_SID)}`,
      )
  } else if (!env.TWILIO_PHONE_NUMBER) {
    problems.push(
      'TWILIO_PHONE_NUMBER: required when TWILIO_ENABLED=true (or set TWILIO_MESSAGING_SERVICE_SID)',
    )
  }
  if (env.TWILIO_PHONE_NUMBER && !/^\+[1-9]\d{6,14}$/.test(env.TWILIO_PHONE_NUMBER))
    problems.push(
      `TWILIO_PHONE_NUMBER: expected an E.164 number such as +15017122661${got(env.TWILIO_PHONE_NUMBER)}`,
    )
  for (const key of ['HTTP_PROXY', 'HTTPS_PROXY'] as const)
    if (env[key] && !proxyUrl(env[key]))
      problems.push(`${key}: expected an http(s) URL such as http://proxy.internal:3128`)
  if (env.TWILIO_CA_BUNDLE) {
    const problem = unreadablePem(env.TWILIO_CA_BUNDLE)
    if (problem) problems.push(`TWILIO_CA_BUNDLE: cannot use ${env.TWILIO_CA_BUNDLE}: ${problem}`)
  }
  return problems
}

export function twilioSettings(env: TwilioEnv, links: ReceiptLinks) {
  if (!env.TWILIO_ENABLED) return null
  return {
    accountSid: env.TWILIO_ACCOUNT_SID as string,
    authToken: env.TWILIO_AUTH_TOKEN as string,
    phoneNumber: env.TWILIO_PHONE_NUMBER ?? null,
    messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID ?? null,
    baseUrl: withoutTrailingSlashes(env.TWILIO_API_BASE_URL),
    statusCallback: links.publicBaseUrl ? `${links.publicBaseUrl}/api/v1/webhooks/twilio/status` : null,
    http: {
      caBundle: env.TWILIO_CA_BUNDLE ?? null,
      httpProxy: env.HTTP_PROXY ? proxyUrl(env.HTTP_PROXY) : null,
      httpsProxy: env.HTTPS_PROXY ? proxyUrl(env.HTTPS_PROXY) : null,
      noProxy: env.NO_PROXY ?? null,
    },
  }
}

export type TwilioSettings = NonNullable<ReturnType<typeof twilioSettings>>
