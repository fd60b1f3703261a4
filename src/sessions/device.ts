import Bowser from 'bowser'
import type { FastifyRequest } from 'fastify'
import type { Platform } from '../db/schema.js'
import type { SessionDevice } from '../stores/sessions/index.js'

export type { Platform } from '../db/schema.js'

/** What a session was opened on, as the user sees it in their list of sessions. */
export interface Device extends SessionDevice {
  /** ISO 3166 code of the country the request came from, when a trusted proxy said (COUNTRY_HEADER). */
  country: string | null
}

const MAX_NAME = 100

/**
 * The device of a sign-in: the app's own name for it when it sent one, else what the User-Agent says
 * (bowser, which knows the browsers' and the mobile systems' strings). An app's HTTP client that says
 * nothing useful (okhttp, curl) gives "Unknown device".
 */
export function deviceOf(
  userAgent: string | undefined,
  deviceName: string | undefined,
  country: string | null,
): Device {
  const parsed = userAgent ? Bowser.parse(userAgent.slice(0, 512)) : undefined
  const os = parsed?.os.name
  const browser = parsed?.browser.name
  const model = parsed?.platform.model
  const platform: Platform = os === 'Android' ? 'android' : os === 'iOS' ? 'ios' : browser ? 'web' : 'other'
  const made = browser && os ? `${browser} on ${model ?? os}` : model || os || 'Unknown device'
  return { name: (deviceName?.trim() || made).slice(0, MAX_NAME), platform, country }
}

/**
 * The client's country as the proxy in front named it in `header` (COUNTRY_HEADER), or null: no header set,
 * or a value that is not a country (Cloudflare says XX for unknown and T1 for Tor).
 */
export function requestCountry(
  headers: Record<string, string | string[] | undefined>,
  header: string | null,
) {
  const value = header ? headers[header] : undefined
  const code = typeof value === 'string' ? value.trim().toUpperCase() : ''
  return /^[A-Z]{2}$/.test(code) && code !== 'XX' && code !== 'T1' ? code : null
}

/** The device of a request to sign in, with the name the app gave for it, if any. */
export function requestDevice(request: FastifyRequest, deviceName?: string): Device {
  const { countryHeader } = request.server.config
  return deviceOf(request.headers['user-agent'], deviceName, requestCountry(request.headers, countryHeader))
}
