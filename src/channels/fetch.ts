import { createRequire } from 'node:module'
import type { Agent } from 'undici'
import { SmsError } from './provider.js'

// The local gateways are plain HTTPS APIs called with Node's built-in fetch (undici), through one pool of
// keep-alive connections per gateway, so a steady stream of codes reuses its TLS connections instead of a
// handshake per message.

/**
 * Connections at most per gateway (origin). Node's default pool has no limit: a gateway that slows down
 * would get one more socket for every code sent while it is slow. 512 carries 170 codes a second answered in
 * 3 s each without a request waiting for a socket (docs/SCALING.md, "A slow gateway"); past it requests wait
 * in the pool's queue, within SMS_TIMEOUT_MS, instead of opening more.
 */
export const GATEWAY_CONNECTIONS = 512
/** An idle connection is kept this long (the gateways' own keep-alive is usually shorter and wins). */
const KEEP_ALIVE_MS = 10_000

const require = createRequire(import.meta.url)
let pool: Agent | null = null
// Made with the first request: the CLI commands that never call a gateway do not load undici.
function gatewayPool(): Agent {
  if (pool) return pool
  const { Agent } = require('undici') as typeof import('undici')
  pool = new Agent({ connections: GATEWAY_CONNECTIONS, keepAliveTimeout: KEEP_ALIVE_MS })
  return pool
}

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
    // Node's fetch takes an undici dispatcher (its own is undici too); the DOM type does not name it.
    const res = await fetch(url, { ...init, signal, dispatcher: gatewayPool() } as RequestInit)
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
