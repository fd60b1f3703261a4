import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { FastifyRequest } from 'fastify'
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { LogFormat } from './config/logging.js'
import type { Config } from './config.js'

// Secrets and codes must never reach a log line, whatever a future call site passes in: these names are
// censored at the top level of a line and one level down (`{ config: { secretKey } }`).
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
const CENSOR = '[redacted]'

/**
 * pino's redaction paths: the sensitive names at the top of a line and one level down
 * (`{ config: { secretKey } }`), and the request headers that carry credentials.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-admin-token"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SENSITIVE,
  ...SENSITIVE.map((name) => `*.${name}`),
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

/**
 * Fastify's request serializer, with secrets in the query string masked; its headers are left out. It takes
 * whatever a call site logs as `req` without throwing.
 */
function serializeRequest(req: Partial<FastifyRequest>) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? loggableUrl(req.url) : undefined,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  }
}

// Python's level names: the operators' runbooks grep for `ERROR: Twilio error sending SMS: …`.
const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARNING',
  50: 'ERROR',
  60: 'CRITICAL',
}

/** Line breaks inside a message would forge the next line; they are written escaped. */
const oneLine = (text: string) => text.replace(/\r?\n|\r/g, '\\n')

interface Line {
  level: number
  msg?: string
  err?: { message?: string; stack?: string }
  reason?: string
  method?: string
  url?: string
  statusCode?: number
  responseTime?: number
}

/**
 * One JSON line, as pino serialised and redacted it, as `LEVEL: message`. The request line carries its
 * method, URL, status and time; an error logged at error level or above (a bug, a crash) its stack on the
 * lines below, indented; below error (an expected failure) its message only.
 */
export function textLine(json: string): string {
  const o = JSON.parse(json) as Line
  let line = `${LEVEL_NAMES[o.level] ?? o.level}: ${oneLine(o.msg ?? '')}`
  if (o.method !== undefined && o.statusCode !== undefined)
    line += `: ${o.method} ${oneLine(o.url ?? '')} ${o.statusCode} (${o.responseTime} ms)`
  if (o.reason !== undefined) line += `: ${oneLine(o.reason)}`
  if (o.err?.stack && o.level >= 50) line += `\n    ${o.err.stack.split('\n').join('\n    ')}`
  else if (o.err?.message) line += `: ${oneLine(o.err.message)}`
  return `${line}\n`
}

export interface LoggerSettings {
  level: Config['log']['level']
  file: string | null
  /** Default json. */
  format?: LogFormat
}

/**
 * pino to stdout and to LOG_FILE (both, as the Python service did), or to `destination` in tests; in the
 * text format each line is rewritten once, before it is written to every stream, so both say the same.
 */
export function createLogger(config: LoggerSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    redact: { paths: REDACT, censor: CENSOR },
    serializers: { req: serializeRequest },
    ...(config.format === 'text' ? { hooks: { streamWrite: textLine } } : {}),
  }
  if (destination) return pino(options, destination)
  if (!config.file) return pino(options, pino.destination({ dest: 1, sync: true }))
  mkdirSync(dirname(config.file), { recursive: true })
  // A stream without a level of its own would drop what is below info even when LOG_LEVEL=debug.
  const level = config.level as pino.Level
  const streams = [
    { level, stream: pino.destination({ dest: 1, sync: true }) },
    { level, stream: pino.destination({ dest: config.file, sync: true, mkdir: true }) },
  ]
  return pino(options, pino.multistream(streams))
}
