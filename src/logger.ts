import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { FastifyRequest } from 'fastify'
import pino, { type DestinationStream, type Logger } from 'pino'
import type { Config } from './config.js'

// Secrets and codes must never reach a log line, whatever a future call site passes in.
// Paths are exact (one `*` level deep), so each sensitive name is listed at the top level and one level down.
const SENSITIVE = [
  'authorization',
  'cookie',
  'authToken',
  'password',
  'secret',
  'secretKey',
  'adminToken',
  'token',
  'access_token',
  'refresh_token',
  'accessToken',
  'refreshToken',
  'otp_code',
  'captcha_token',
  'captchaToken',
]
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-admin-token"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SENSITIVE,
  ...SENSITIVE.map((k) => `*.${k}`),
  // The OTP code by its exact paths: a bare `*.code` would also hide error codes (ECONNREFUSED) operators need.
  'req.body.code',
  'body.code',
]

/** Query parameters that carry secrets (the webhook token in Eskiz/Playmobile receipt URLs). */
const SECRET_QUERY = /([?&]token=)[^&#]*/gi

/** A request URL as it may be logged: secrets in the query string masked. */
export function loggableUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]')
}

/** Fastify's request serializer, with secrets in the query string masked. */
function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: loggableUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  }
}

/**
 * pino to stdout and to LOG_FILE (both, as the Python service did), or to `destination` in tests.
 *
 * Both are written synchronously, pino's own default. Asynchronous destinations were tried: under load they
 * fell behind (one write of at most 16 KB per turn of the event loop, while a busy turn logs more), so the
 * unwritten lines piled up in memory, ~0.4 MB a second per destination, lines a crash would lose, and
 * each new line re-measured the growing chunk. Written at once, no scenario of the benchmark took more CPU
 * and every peak RSS stayed at 165–184 MB (before: up to 251 MB; docs/SCALING.md).
 */
export function createLogger(config: Config['log'], destination?: DestinationStream): Logger {
  const options = {
    level: config.level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { req: serializeRequest },
  }
  if (destination) return pino(options, destination)
  const streams: pino.StreamEntry[] = [
    { stream: pino.destination({ dest: 1, sync: true }), level: config.level as pino.Level },
  ]
  if (config.file) {
    mkdirSync(dirname(config.file), { recursive: true })
    streams.push({
      stream: pino.destination({ dest: config.file, sync: true, mkdir: true }),
      level: config.level as pino.Level,
    })
  }
  return pino(options, pino.multistream(streams))
}
