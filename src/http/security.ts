import type { IncomingMessage, ServerResponse } from 'node:http'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'
import type { Config } from '../config.js'

/** The pages a browser renders: the admin console and the API docs. Everything else answers JSON. */
const PAGES = /^\/(admin|docs)(\/|$|\?)/

/**
 * The headers helmet sets with `options`. They do not depend on the request (no CSP nonces here), so they are
 * computed once at start-up; @fastify/helmet builds helmet's middleware anew on every request, which cost
 * more than a whole bare Fastify request.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()]
    },
  }
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => {})
  return headers
}

/**
 * Security headers, CORS only for the origins CORS_ORIGINS names.
 *
 * Pages (the admin console, /docs) get helmet's defaults: HSTS, nosniff, a CSP, frame and referrer
 * policies. JSON answers get the short list of the OWASP REST Security Cheat Sheet: HSTS, nosniff, a CSP that
 * allows nothing (`default-src 'none'; frame-ancestors 'none'`), `X-Frame-Options: DENY`, no referrer, and
 * `Cache-Control: no-store`, because they carry codes and tokens that no proxy or browser cache may keep
 * (RFC 6749 §5.1). The rest of helmet's set only means something to a rendered page, and each header is
 * written and parsed on every request of the hot paths.
 */
export async function registerSecurity(app: FastifyInstance, config: Config): Promise<void> {
  const pageHeaders = helmetHeaders({
    // TLS ends at the proxy, and /docs is also opened over plain http in development, where upgrading its
    // script requests to https would break the page. HSTS does the upgrading where TLS exists.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  })
  const jsonHeaders: Record<string, string> = {
    'strict-transport-security': pageHeaders['strict-transport-security'] as string,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  }
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(PAGES.test(request.url) ? pageHeaders : jsonHeaders)
    done()
  })
  const { origins } = config.cors
  if (origins !== null)
    await app.register(cors, {
      origin: origins === '*' ? '*' : origins,
      methods: ['GET', 'POST', 'PATCH'],
      allowedHeaders: ['Content-Type', 'Authorization', 'Accept-Language'],
      exposedHeaders: ['Retry-After'],
      maxAge: 600,
    })
}
