import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import type { Language } from '../config.js'
import { AppError, ERROR_STATUS, type ErrorCode, type ErrorParams } from '../errors.js'
import { messages } from '../i18n/index.js'
import { requestLanguage } from './language.js'
import { type FieldError, fieldErrors, validationSentence } from './validation.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The code of the error this request was answered with (for metrics), null when it succeeded. */
    errorCode: ErrorCode | null
  }
}

interface Classified {
  code: ErrorCode
  params?: ErrorParams
  extra?: Record<string, unknown>
  retryAfter?: number | undefined
}

// Fastify's own client-error codes onto ours.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
}

// Errors that mean a backing service (PostgreSQL, Redis, SQLite's lock) is unreachable or overloaded: the
// client did nothing wrong and may retry, so 503, not 500.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'SQLITE_BUSY',
  '57P01',
  '57P02',
  '57P03',
])
const UNAVAILABLE_MESSAGES =
  /Connection terminated|not queryable|connection timeout|Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries|Command timed out|timeout exceeded when trying to connect/i

export function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true
    if (UNAVAILABLE_MESSAGES.test(e.message)) return true
    if (e instanceof AggregateError && e.errors.some(isUnavailable)) return true
  }
  return false
}

/**
 * A body read that failed because the client went away (its upload aborted, or cut by REQUEST_TIMEOUT_MS):
 * not a backing service's fault, though Node reports it as ECONNRESET too.
 */
function clientClosed(err: FastifyError, request: FastifyRequest): boolean {
  return err.code === 'ECONNRESET' && (request.raw.destroyed || request.raw.socket?.destroyed === true)
}

function classify(err: FastifyError | AppError | Error, request: FastifyRequest): Classified {
  if (clientClosed(err as FastifyError, request)) return { code: 'CLIENT_CLOSED_REQUEST' }
  if (err instanceof AppError)
    return { code: err.code, params: err.params, extra: err.extra, retryAfter: err.retryAfter }
  const fe = err as FastifyError
  if (fe.validation) return { code: 'VALIDATION_ERROR', extra: { errors: fieldErrors(fe) } }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined
  if (mapped) return { code: mapped }
  if (err instanceof SyntaxError && fe.statusCode === 400) return { code: 'INVALID_JSON' }
  if (isUnavailable(err)) return { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return { code: 'BAD_REQUEST' }
  return { code: 'INTERNAL_ERROR' }
}

export function errorBody(
  code: ErrorCode,
  lang: Language,
  params: ErrorParams = {},
  extra: Record<string, unknown> = {},
) {
  // A rejected field is told in the rider's words; its machine detail stays in `errors`.
  const fields = code === 'VALIDATION_ERROR' ? (extra.errors as FieldError[] | undefined) : undefined
  const details = fields ? { ...params, details: validationSentence(fields, lang) } : params
  return { detail: messages[lang].errors[code](details), code, ...extra }
}

/** What went wrong below our code: the first cause that is not our own AppError (the gateway's words). */
function reason(err: unknown): string {
  let e = err
  for (let depth = 0; e instanceof AppError && e.cause !== undefined && depth < 5; depth++) e = e.cause
  return e instanceof Error ? e.message : String(e)
}

/**
 * How a failed request is logged: a bug with its stack; an unreachable database or Redis as an error without
 * one; an expected outcome (a gateway refused, a budget is spent: its component logged why) and a client that
 * went away as one line below error.
 */
function logFailure(request: FastifyRequest, code: ErrorCode, err: Error): void {
  if (code === 'CLIENT_CLOSED_REQUEST') request.log.info('request aborted by the client')
  else if (code === 'INTERNAL_ERROR') request.log.error({ err }, `request failed: ${code}`)
  else if (code === 'SERVICE_UNAVAILABLE')
    request.log.error({ reason: reason(err) }, `request failed: ${code}`)
  else if (ERROR_STATUS[code] >= 500) request.log.warn({ reason: reason(err) }, `request failed: ${code}`)
}

/**
 * Every error leaves as `{"detail", "code", …}` in the request's language: `detail` keeps the FastAPI clients
 * working, `code` is what new clients switch on. Nothing internal (stack, SQL, gateway credentials) is sent.
 */
export function registerErrorHandlers(app: FastifyInstance, defaultLanguage: Language): void {
  app.decorateRequest('errorCode', null)
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const c = classify(err, request)
    request.errorCode = c.code
    const status = ERROR_STATUS[c.code]
    logFailure(request, c.code, err)
    if (c.retryAfter !== undefined) void reply.header('Retry-After', String(c.retryAfter))
    return reply
      .status(status)
      .send(errorBody(c.code, requestLanguage(request, defaultLanguage), c.params, c.extra))
  })
  app.setNotFoundHandler((request, reply) => {
    request.errorCode = 'NOT_FOUND'
    return reply.status(404).send(errorBody('NOT_FOUND', requestLanguage(request, defaultLanguage)))
  })
}
