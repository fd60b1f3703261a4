import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Dispatcher } from 'undici'

// The HTTP client the twilio SDK sends its requests through. The SDK's own (axios over Node's http module)
// cost about a quarter of the CPU of a send: axios merges and normalises its configuration on every call, and
// Node's agent re-arms TCP keep-alive on every socket it reuses. undici keeps a pool of keep-alive connections
// per origin and answers with the raw body, which the SDK parses itself (as it does for any custom client).
//
// What the SDK's client took from the process environment, this one takes from the settings (so `.env` works
// too): TWILIO_CA_BUNDLE and HTTP_PROXY. It also honours HTTPS_PROXY and NO_PROXY, as curl does; the SDK sent
// everything to HTTP_PROXY and ignored NO_PROXY.

// Loaded with the first Twilio provider, as the SDK is (twilio.ts): ~20 MB of RSS a process without Twilio
// does not need.
const require = createRequire(import.meta.url)
const undici = () => require('undici') as typeof import('undici')

export interface TwilioHttpSettings {
  /** A PEM file of the certificate authorities to trust instead of Node's. */
  caBundle: string | null
  /** The proxy for http:// requests, and for https:// ones unless `httpsProxy` is set. */
  httpProxy: string | null
  httpsProxy: string | null
  /** Hosts reached directly: names, `.domain` suffixes, `host:port`, comma-separated, or `*`. */
  noProxy: string | null
}

/** What the SDK passes to `httpClient.request` (RequestClient.RequestOptions), the part a REST call uses. */
export interface TwilioHttpRequest {
  method: string
  uri: string
  username?: string
  password?: string
  headers?: Record<string, string>
  params?: object
  data?: object
  timeout?: number
}

/** What the SDK expects back: it parses a string body as JSON and turns a status ≥ 400 into its errors. */
export interface TwilioHttpResponse {
  statusCode: number
  body: string
  headers: Record<string, string | string[] | undefined>
}

export class TwilioHttpClient {
  private readonly dispatcher: Dispatcher

  constructor(
    private readonly timeoutMs: number,
    settings: TwilioHttpSettings,
  ) {
    const tls = { timeout: timeoutMs, ...(settings.caBundle ? { ca: readFileSync(settings.caBundle) } : {}) }
    const { Agent, EnvHttpProxyAgent } = undici()
    // The answer's deadlines are set per request (`request`).
    this.dispatcher =
      settings.httpProxy || settings.httpsProxy
        ? new EnvHttpProxyAgent({
            connect: tls,
            requestTls: tls,
            proxyTls: { timeout: timeoutMs },
            // Empty strings, not undefined: undefined would make undici read the process environment.
            httpProxy: settings.httpProxy ?? '',
            httpsProxy: settings.httpsProxy ?? '',
            noProxy: settings.noProxy ?? '',
          })
        : new Agent({ connect: tls })
  }

  async request(opts: TwilioHttpRequest): Promise<TwilioHttpResponse> {
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
    const timeout = opts.timeout ?? this.timeoutMs
    const res = await this.dispatcher.request({
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
}

/**
 * application/x-www-form-urlencoded as the SDK's client wrote it (qs, `arrayFormat: 'repeat'`): a list
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
