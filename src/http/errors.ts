import type { FastifyError, FastifyInstance } from 'fastify'
import type { Language } from '../config.js'
import { AppError, ERROR_STATUS, type ErrorCode, type ErrorParams } from '../errors.js'
import { messages } from '../i18n/index.js'
import { requestLanguage } from './language.js'

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

function validationDetails(err: FastifyError): {
  details: string
  errors: { field: string; message: string }[]
} {
  const errors = (err.validation ?? []).map((v) => {
    const extraField = (v.params as { additionalProperty?: string }).additionalProperty
    const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.')
    const field = extraField
      ? path
        ? `${path}.${extraField}`
        : extraField
      : path || (err.validationContext ?? 'body')
    return { field, message: extraField ? 'unknown field' : (v.message ?? 'is invalid') }
  })
  return { details: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors }
}

function classify(err: FastifyError | AppError | Error): Classified {
  if (err instanceof AppError)
    return { code: err.code, params: err.params, extra: err.extra, retryAfter: err.retryAfter }
  const fe = err as FastifyError
  if (fe.validation) {
    const { details, errors } = validationDetails(fe)
    return { code: 'VALIDATION_ERROR', params: { details }, extra: { errors } }
  }
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
  return { detail: messages[lang].errors[code](params), code, ...extra }
}

/**
 * Every error leaves as `{"detail", "code", …}` in the request's language: `detail` keeps the FastAPI clients
 * working, `code` is what new clients switch on. Nothing internal (stack, SQL, gateway credentials) is sent.
 */
export function registerErrorHandlers(app: FastifyInstance, defaultLanguage: Language): void {
  app.decorateRequest('errorCode', null)
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const c = classify(err)
    request.errorCode = c.code
    const status = ERROR_STATUS[c.code]
    if (status >= 500) request.log.error({ err }, `request failed: ${c.code}`)
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
