import { createRequire } from 'node:module'
import type { Agent, Dispatcher } from 'undici'
import { SmsError } from './provider.js'

// The local gateways are plain HTTPS APIs called with undici's request(), as the Twilio SDK's client is
// (twilio/http.ts), through one pool of keep-alive connections per gateway, so a steady stream of codes
// reuses its TLS connections instead of a handshake per message. Not Node's fetch: its WHATWG layer
// (Request, Headers, Response, web streams) kept four times the memory per message waiting on a slow gateway
// and cost three times the CPU per message (docs/SCALING.md, "A slow gateway").

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
// Loaded with the first request: the CLI commands that never call a gateway do not load undici.
const undici = () => require('undici') as typeof import('undici')
let pool: Agent | null = null
function gatewayPool(): Agent {
  pool ??= new (undici().Agent)({ connections: GATEWAY_CONNECTIONS, keepAliveTimeout: KEEP_ALIVE_MS })
  return pool
}

/** One call to a gateway: GET unless said otherwise. */
export interface GatewayRequest {
  method?: 'GET' | 'POST' | 'PATCH'
  headers?: Record<string, string>
  /** Text as it is (with its content-type among the headers), or fields sent as multipart/form-data. */
  body?: string | Record<string, string>
}

function multipart(fields: Record<string, string>) {
  const form = new (undici().FormData)()
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  return form
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
  call: GatewayRequest,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<GatewayResponse> {
  try {
    const { body } = call
    const res = await undici().request(url, {
      dispatcher: gatewayPool(),
      method: (call.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: call.headers ?? {},
      body: typeof body === 'object' ? multipart(body) : body,
      signal,
    })
    const text = await res.body.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = null
    }
    return { status: res.statusCode, json, text }
  } catch (err) {
    const name = (err as Error).name
    if (signal.aborted || name === 'TimeoutError' || name === 'AbortError')
      throw new SmsError('unavailable', `No answer from ${gateway} within ${timeoutMs} ms`, 'TIMEOUT', {
        cause: err,
      })
    const { code } = err as { code?: string }
    throw new SmsError('unavailable', `Could not reach ${gateway}: ${(err as Error).message}`, code ?? null, {
      cause: err,
    })
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
