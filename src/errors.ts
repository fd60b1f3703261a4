// The one catalogue of error codes the API returns. A code is stable: clients switch on it, so it is never
// renamed. Its human text lives in i18n (every language), and docs/ERRORS.md lists it; a test keeps the three
// in step.

export const ERROR_STATUS = {
  VALIDATION_ERROR: 422,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  INVALID_PHONE: 422,
  COUNTRY_NOT_ALLOWED: 422,
  OTP_RESEND_COOLDOWN: 429,
  RATE_LIMITED: 429,
  SMS_UNAVAILABLE: 503,
  OTP_INVALID: 400,
  OTP_EXPIRED: 400,
  OTP_TOO_MANY_ATTEMPTS: 429,
  UNAUTHORIZED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  REFRESH_TOKEN_INVALID: 401,
  REFRESH_TOKEN_EXPIRED: 401,
  REFRESH_TOKEN_REUSED: 401,
  ADMIN_DISABLED: 404,
  ADMIN_TOKEN_INVALID: 401,
  BLOCK_NOT_FOUND: 404,
  DRIVER_PHONE_INVALID: 422,
  DRIVER_NOT_FOUND: 404,
  DRIVER_NOT_REGISTERED: 403,
  PASSKEYS_DISABLED: 404,
  PASSKEY_CHALLENGE_INVALID: 400,
  PASSKEY_INVALID: 400,
  PASSKEY_UNKNOWN: 400,
  PASSKEY_NOT_FOUND: 404,
  PASSKEY_ALREADY_REGISTERED: 409,
  PASSKEY_LIMIT: 409,
  SESSION_NOT_FOUND: 404,
  PHONE_UNCHANGED: 422,
  PHONE_TAKEN: 409,
  METRICS_UNAUTHORIZED: 401,
  METRICS_FORBIDDEN: 403,
  SERVICE_UNAVAILABLE: 503,
  NOT_READY: 503,
  WEBHOOK_FORBIDDEN: 403,
  INTERNAL_ERROR: 500,
  OTP_NUMBER_LIMIT: 429,
  OTP_PREFIX_BLOCKED: 429,
  OTP_VERIFY_LIMIT: 429,
  SMS_BUDGET_EXCEEDED: 503,
  CAPTCHA_REQUIRED: 400,
  CAPTCHA_INVALID: 400,
  CAPTCHA_UNAVAILABLE: 503,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  // nginx's "client closed request": never seen by the client, it keeps aborted uploads out of the 5xx counts.
  CLIENT_CLOSED_REQUEST: 499,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

/** Values interpolated into the message and, where listed in `extra`, returned as fields of the body. */
export type ErrorParams = Record<string, string | number>

export class AppError extends Error {
  readonly statusCode: number
  readonly code: ErrorCode
  readonly params: ErrorParams
  /** Extra fields of the response body, e.g. `attempts_left`. */
  readonly extra: Record<string, unknown>
  /** Seconds for a Retry-After header. */
  readonly retryAfter: number | undefined

  constructor(
    code: ErrorCode,
    params: ErrorParams = {},
    extra: Record<string, unknown> = {},
    retryAfter?: number,
    cause?: unknown,
  ) {
    const statusCode = ERROR_STATUS[code]
    // A client's mistake (4xx) is an answer, not a fault: it is never logged, so nobody reads its stack, and
    // capturing one was the largest single cost of an error answer (6 % of the CPU of a stream of 422s).
    // A 5xx keeps its stack: it is logged with it.
    const limit = Error.stackTraceLimit
    if (statusCode < 500) Error.stackTraceLimit = 0
    super(code, { cause })
    Error.stackTraceLimit = limit
    this.name = 'AppError'
    this.statusCode = statusCode
    this.code = code
    this.params = params
    this.extra = extra
    this.retryAfter = retryAfter
  }
}
