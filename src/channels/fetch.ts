import { SmsError } from './provider.js'

// The local gateways are plain HTTPS APIs called with Node's built-in fetch (undici). Its global dispatcher
// keeps connections alive between requests, so a steady stream of codes reuses one TLS connection per gateway
// instead of a handshake per message.

export interface GatewayResponse {
  status: number
  /** The body parsed as JSON, or null when it is not JSON. */
  json: unknown
  /** The raw body, for error messages when the gateway answers in plain text or HTML. */
  text: string
}

/**
 * One request to a gateway, settled within `signal`'s deadline. Network failures and the deadline become
 * `unavailable` errors (retryable: the next provider may get through); HTTP statuses are left to the caller.
 */
export async function gatewayFetch(
  gateway: string,
  url: string,
  init: RequestInit,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<GatewayResponse> {
  try {
    const res = await fetch(url, { ...init, signal })
    const text = await res.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = null
    }
    return { status: res.status, json, text }
  } catch (err) {
    const name = (err as Error).name
    if (signal.aborted || name === 'TimeoutError' || name === 'AbortError')
      throw new SmsError('unavailable', `No answer from ${gateway} within ${timeoutMs} ms`, 'TIMEOUT', {
        cause: err,
      })
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    throw new SmsError(
      'unavailable',
      `Could not reach ${gateway}: ${cause?.message ?? (err as Error).message}`,
      cause?.code ?? null,
      { cause: err },
    )
  }
}

/** The status every gateway's HTTP answer maps to when its body says nothing more specific. */
export function kindForStatus(status: number): SmsError['kind'] {
  if (status === 401 || status === 403) return 'auth_failed'
  if (status === 402) return 'quota_exhausted'
  if (status === 429) return 'throttled'
  return 'unavailable'
}

/** A short excerpt of a body for an error line: gateways sometimes answer with a whole HTML page. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}
