import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type Twilio from 'twilio'
import type { Dispatcher } from 'undici'
import { GATEWAY_CONNECTIONS } from '../fetch.js'
import type { TwilioSettings } from './settings.js'

// The HTTP client the twilio SDK sends its requests through (its `httpClient` option): a plain adapter over
// undici, as the other gateways use Node's fetch. The SDK's own client (axios over Node's http module) cost
// far more CPU per message (docs/ARCHITECTURE.md): axios merges and normalises its configuration on
// every call. undici keeps a pool of keep-alive connections per origin and answers with the raw body, which
// the SDK parses.
//
// What the SDK's client would take from the process environment, this one takes from the settings (so `.env`
// works too): TWILIO_CA_BUNDLE, HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read as curl reads them.

// Loaded with the first Twilio provider, as the SDK is.
const require = createRequire(import.meta.url)
const undici = () => require('undici') as typeof import('undici')

/** What the SDK passes to `httpClient.request`, the part a REST call uses. */
interface TwilioRequest {
  method: string
  uri: string
  username?: string
  password?: string
  headers?: Record<string, string>
  params?: object
  data?: object
  timeout?: number
}

/** The SDK's HTTP client for these settings; no retries (a 429 goes to the next provider at once). */
export function twilioHttpClient(http: TwilioSettings['http'], timeoutMs: number): Twilio.RequestClient {
  const tls = { timeout: timeoutMs, ...(http.caBundle ? { ca: readFileSync(http.caBundle) } : {}) }
  const { Agent, EnvHttpProxyAgent } = undici()
  const dispatcher: Dispatcher =
    http.httpProxy || http.httpsProxy
      ? new EnvHttpProxyAgent({
          connect: tls,
          requestTls: tls,
          proxyTls: { timeout: timeoutMs },
          // Empty strings, not undefined: undefined would make undici read the process environment.
          httpProxy: http.httpProxy ?? '',
          httpsProxy: http.httpsProxy ?? '',
          noProxy: http.noProxy ?? '',
          connections: GATEWAY_CONNECTIONS,
        })
      : new Agent({ connect: tls, connections: GATEWAY_CONNECTIONS })
  const request = async (opts: TwilioRequest) => {
    const url = new URL(opts.uri)
    if (opts.params) url.search = formEncode(opts.params)
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.username && opts.password)
      headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`
    let body: string | undefined
    if (opts.data) {
      const type = headers['Content-Type']
      if (type === 'application/x-www-form-urlencoded') body = formEncode(opts.data)
      else if (type === 'application/json') body = JSON.stringify(opts.data)
    }
    const timeout = opts.timeout ?? timeoutMs
    const res = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: opts.method.toUpperCase() as Dispatcher.HttpMethod,
      headers,
      body,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    })
    return { statusCode: res.statusCode, body: await res.body.text(), headers: res.headers }
  }
  return { request } as unknown as Twilio.RequestClient
}

/**
 * application/x-www-form-urlencoded as the SDK's own client writes it (qs, `arrayFormat: 'repeat'`): a list
 * repeats its key, spaces are %20, and only RFC 3986's unreserved characters stay as they are.
 */
export function formEncode(values: object): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value])
      if (item !== undefined)
        parts.push(`${percentEncode(key)}=${item === null ? '' : percentEncode(String(item))}`)
  }
  return parts.join('&')
}

const percentEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
