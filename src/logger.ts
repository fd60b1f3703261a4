import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { FastifyRequest } from 'fastify'
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'
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
const SENSITIVE_NAMES = new Set(SENSITIVE)
const CENSOR = '[redacted]'

/** pino's redaction paths: exact ones only (the level below is `censorNested`'s). */
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
  // The OTP code by its exact paths: a bare `*.code` would also hide error codes (ECONNREFUSED) operators need.
  'req.body.code',
  'body.code',
]

/**
 * The fields of a line (or a child logger's bindings) with every sensitive name one level down censored, in
 * copies: the caller's objects stay as they were. A copy keeps its original's prototype, so an Error is still
 * written as an Error.
 *
 * pino's wildcard paths (`*.secret`) did this before, but its redactor parses each path anew for every field
 * of every line, strings and numbers included: with these fifteen names that was 13 µs per request (three
 * lines and a child logger), against about 1 µs here (docs/SCALING.md).
 */
function censorNested<T extends object>(fields: T): T {
  let out = fields
  for (const key in fields) {
    const value = fields[key]
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    let descriptors: PropertyDescriptorMap | null = null
    for (const name in value) {
      if (!SENSITIVE_NAMES.has(name) || !Object.hasOwn(value, name)) continue
      descriptors ??= Object.getOwnPropertyDescriptors(value)
      descriptors[name] = { value: CENSOR, enumerable: true, writable: true, configurable: true }
    }
    if (!descriptors) continue
    if (out === fields) out = { ...fields }
    out[key] = Object.create(Object.getPrototypeOf(value), descriptors)
  }
  return out
}

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

/**
 * A pino logger with the service's redaction: pino's exact paths, and `censorNested` for each line's fields
 * and each child logger's bindings (pino's own bindings formatter applies to the root logger only).
 */
function redactingLogger(level: string, destination: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: REDACT, censor: CENSOR },
    formatters: { log: censorNested },
    serializers: { req: serializeRequest },
  }
  const logger = pino(options, destination)
  // Children are created from their parent with Object.create, so they and theirs inherit this too.
  const child = logger.child
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, censorNested(bindings), childOptions)
  } as Logger['child']
  return logger
}

/**
 * pino to stdout and to LOG_FILE (both, as the Python service did), or to `destination` in tests.
 *
 * Both are written synchronously, pino's own default, but a turn of the event loop at a time (`TurnWriter`).
 * Asynchronous destinations were tried: under load they fell behind (one write of at most 16 KB per turn,
 * while a busy turn logs more), so the unwritten lines piled up in memory, ~0.4 MB a second per
 * destination, and each new line re-measured the growing chunk (docs/SCALING.md).
 */
export function createLogger(config: Config['log'], destination?: DestinationStream): Logger {
  if (destination) return redactingLogger(config.level, destination)
  const files = [pino.destination({ dest: 1, sync: true })]
  if (config.file) {
    mkdirSync(dirname(config.file), { recursive: true })
    files.push(pino.destination({ dest: config.file, sync: true, mkdir: true }))
  }
  return redactingLogger(config.level, new TurnWriter(files))
}

/** Writers holding lines not yet written, for the exit handler. */
const unwritten = new Set<TurnWriter>()
process.on('exit', () => {
  for (const writer of unwritten) writer.flushSync()
})

/**
 * Collects the lines logged during one turn of the event loop and writes them when the turn ends, in one
 * write per destination. A busy turn serves ~50 requests and logs ~150 lines; writing each line to both
 * destinations at once was 6 system calls per send-otp and ~10 % of its CPU. The lines wait at most until
 * the end of their turn (a few milliseconds), never behind other turns; when the process exits, even
 * on an uncaught exception, they are written first. Only a process killed outright (SIGKILL, out of
 * memory) loses the lines of its last turn.
 */
export class TurnWriter implements DestinationStream {
  private pending: string[] = []

  constructor(private readonly files: ReturnType<typeof pino.destination>[]) {}

  write(line: string): void {
    if (this.pending.length === 0) {
      unwritten.add(this)
      setImmediate(this.flushSync)
    }
    this.pending.push(line)
  }

  /** Writes the pending lines now (pino's `logger.flush()` also lands here). */
  readonly flushSync = (): void => {
    if (this.pending.length === 0) return
    const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('')
    this.pending = []
    unwritten.delete(this)
    for (const file of this.files) file.write(text)
  }

  flush(cb?: (err?: Error) => void): void {
    this.flushSync()
    cb?.()
  }
}
