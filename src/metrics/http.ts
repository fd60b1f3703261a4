import type { FastifyInstance } from 'fastify'
import { bearerToken, secretEquals } from '../crypto.js'
import { AppError } from '../errors.js'
import type { Metrics } from './index.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks the route whose outcome counts as a code sent (`send`) or verified (`verify`) in the metrics. */
    otpStage?: 'send' | 'verify'
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

/** Constant-time check of `Authorization: Bearer <token>`. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const given = bearerToken(header)
  return given !== undefined && secretEquals(given, expected)
}

/**
 * Times every request by its route pattern (`/api/v1/users/me`, never the raw URL, so a scan of random paths
 * adds one `unmatched` series, not thousands), counts OTP outcomes from the routes marked with `otpStage`,
 * and serves `GET /metrics`: behind METRICS_TOKEN when it is set, else to loopback clients only.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string | null): void {
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: status },
      reply.elapsedTime / 1000,
    )
    const stage = request.routeOptions.config?.otpStage
    if (stage) {
      if (status < 400) (stage === 'send' ? metrics.otpSent : metrics.otpVerified).inc()
      else {
        const labels = { stage, code: request.errorCode ?? String(status) }
        ;(status === 429 ? metrics.otpRateLimited : metrics.otpFailed).inc(labels)
      }
    }
    done()
  })

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    // Without a token only this machine may read them: the socket's own peer, never X-Forwarded-For, which any
    // client can write (and a proxy on this machine would make every client loopback: set a token there).
    if (token === null && !LOOPBACK.has(request.socket.remoteAddress ?? ''))
      throw new AppError('METRICS_FORBIDDEN')
    if (token !== null && !bearerMatches(request.headers.authorization, token)) {
      void reply.header('WWW-Authenticate', 'Bearer realm="metrics"')
      throw new AppError('METRICS_UNAUTHORIZED')
    }
    return reply.type(metrics.contentType).send(await metrics.exposition())
  })
}
