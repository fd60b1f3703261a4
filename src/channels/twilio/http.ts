import { readFileSync } from 'node:fs'
import { Agent } from 'node:https'
import type Twilio from 'twilio'
import type { TwilioSettings } from './settings.js'

/**
 * The twilio SDK's own HTTP client (RequestClient: axios over Node's https), set from our settings rather than
 * from the process environment it would read by itself: TWILIO_CA_BUNDLE as its `ca` option; HTTP_PROXY,
 * HTTPS_PROXY and NO_PROXY as axios's per-request `proxy` (HTTPS is tunnelled with CONNECT), so `.env` works
 * too. Keep-alive connections, since a TLS handshake per message costs more than the request; no retries,
 * since a 429 is answered at once (503 to the client, the next provider tried), not retried for seconds.
 */
export function twilioHttpClient(
  sdk: typeof Twilio,
  http: TwilioSettings['http'],
  timeoutMs: number,
): Twilio.RequestClient {
  const ca = http.caBundle ? readFileSync(http.caBundle) : undefined
  const client = new sdk.RequestClient({
    timeout: timeoutMs,
    keepAlive: true,
    autoRetry: false,
    ...(ca ? { ca } : {}),
  })
  // The SDK swaps in a proxy agent of its own when the process has HTTP_PROXY, ignoring NO_PROXY and the CA:
  // this agent (axios's public defaults) keeps the settings' word.
  client.axios.defaults.httpsAgent = new Agent({ keepAlive: true, timeout: timeoutMs, ...(ca ? { ca } : {}) })
  client.axios.interceptors.request.use((request) => {
    request.proxy = axiosProxy(request.url ? proxyFor(new URL(request.url), http) : null)
    return request
  })
  return client
}

/** The proxy for a request to `url`: HTTPS_PROXY for https (else HTTP_PROXY), HTTP_PROXY for http, none for NO_PROXY hosts. */
export function proxyFor(url: URL, http: TwilioSettings['http']): URL | null {
  const proxy = url.protocol === 'https:' ? (http.httpsProxy ?? http.httpProxy) : http.httpProxy
  if (!proxy || bypassed(url, http.noProxy)) return null
  return new URL(proxy)
}

/** NO_PROXY as curl reads it: `*`, host names (and their subdomains), `.domain` suffixes, `host:port`. */
function bypassed(url: URL, noProxy: string | null): boolean {
  if (!noProxy) return false
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return noProxy.split(',').some((raw) => {
    const entry = raw.trim().toLowerCase()
    if (entry === '*') return true
    const [name = '', entryPort] = entry.split(/:(?=\d+$)/)
    if (!name || (entryPort && entryPort !== port)) return false
    const bare = name.replace(/^\*?\./, '')
    return host === bare || host.endsWith(`.${bare}`)
  })
}

function axiosProxy(proxy: URL | null) {
  if (!proxy) return false as const
  const { username, password } = proxy
  return {
    protocol: proxy.protocol.replace(':', ''),
    host: proxy.hostname,
    port: Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80),
    ...(username
      ? { auth: { username: decodeURIComponent(username), password: decodeURIComponent(password) } }
      : {}),
  }
}
