import { type Messages, mins } from './uz.js'

type P = Record<string, string | number>

const minutes = (n: string | number) => `${n} ${Number(n) === 1 ? 'minute' : 'minutes'}`
const seconds = (n: string | number) => `${n} ${Number(n) === 1 ? 'second' : 'seconds'}`

export const en: Messages = {
  otpSent: (p: P) =>
    `Verification code sent to ${p.phone}. The code is valid for ${minutes(p.minutes as number)}.`,
  smsBody: (p: P) =>
    `Royal Taxi verification code: ${p.code}\nThe code is valid for ${minutes(p.minutes as number)}.\nIf you did not request this code, please ignore this message.`,
  validation: {
    fields: {
      phone: () => 'The phone number must be in the form +998901234567.',
      code: () => 'The code must be 4–10 digits.',
      language: () => 'The language must be uz, ru or en.',
      captcha_token: () => 'The CAPTCHA token must be a non-empty text of at most 4096 characters.',
      refresh_token: () => 'The refresh token must be a text of 1 to 512 characters.',
      full_name: () => 'The name must be 1 to 100 characters without control characters (or null).',
      body: () => 'The request body must be a JSON object.',
    },
    unknown: (p: P) => `Unknown field: ${p.field}.`,
    invalid: (p: P) => `The field ${p.field} has an invalid value.`,
  },
  errors: {
    VALIDATION_ERROR: (p: P) => String(p.details),
    INVALID_JSON: () => 'The request body is not valid JSON.',
    UNSUPPORTED_MEDIA_TYPE: () => 'Unsupported content type: send application/json.',
    PAYLOAD_TOO_LARGE: () => 'The request body is too large.',
    BAD_REQUEST: () => 'Bad request.',
    NOT_FOUND: () => 'Not found.',
    INVALID_PHONE: () => 'Invalid phone number. Enter it as +998901234567.',
    COUNTRY_NOT_ALLOWED: (p: P) => `Codes are not sent to numbers of this country (${p.country}).`,
    OTP_RESEND_COOLDOWN: (p: P) => `You can request a new code in ${seconds(p.seconds as number)}.`,
    RATE_LIMITED: (p: P) => `Too many requests. Try again in ${seconds(p.seconds as number)}.`,
    SMS_UNAVAILABLE: () => 'The SMS could not be sent. Please try again later.',
    OTP_INVALID: (p: P) => `Wrong code. Attempts left: ${p.attempts_left}.`,
    OTP_EXPIRED: () => 'No valid code found, or it has expired. Request a new code.',
    OTP_TOO_MANY_ATTEMPTS: () => 'Too many wrong attempts; the code has been cancelled. Request a new code.',
    UNAUTHORIZED: () => 'Authentication required: send an Authorization: Bearer <token> header.',
    TOKEN_INVALID: () => 'Invalid access token.',
    TOKEN_EXPIRED: () => 'The access token has expired. Refresh it.',
    REFRESH_TOKEN_INVALID: () => 'Invalid refresh token. Sign in again.',
    REFRESH_TOKEN_EXPIRED: () => 'The refresh token has expired. Sign in again.',
    REFRESH_TOKEN_REUSED: () =>
      'This refresh token has already been used. For your safety the session was closed: sign in again.',
    ADMIN_DISABLED: () => 'The admin console is disabled: set ADMIN_TOKEN to enable it.',
    ADMIN_TOKEN_INVALID: () => 'Wrong admin token.',
    BLOCK_NOT_FOUND: () => 'No block is in force for this prefix.',
    METRICS_UNAUTHORIZED: () => 'Missing or wrong metrics token: send Authorization: Bearer <METRICS_TOKEN>.',
    METRICS_FORBIDDEN: () =>
      'Metrics are served only to this machine (127.0.0.1) unless METRICS_TOKEN is set.',
    SERVICE_UNAVAILABLE: () => 'The service is temporarily unavailable. Please try again later.',
    NOT_READY: () => 'The service is not ready yet.',
    WEBHOOK_FORBIDDEN: () => 'The callback could not be authenticated.',
    INTERNAL_ERROR: () => 'Internal error.',
    OTP_NUMBER_LIMIT: (p: P) => `Too many codes for this number. Try again in ${minutes(mins(p.seconds))}.`,
    OTP_PREFIX_BLOCKED: (p: P) =>
      `Codes to this number are temporarily suspended. Try again in ${minutes(mins(p.seconds))} or contact support.`,
    OTP_VERIFY_LIMIT: () => 'Too many wrong codes for this number today. Try again tomorrow.',
    SMS_BUDGET_EXCEEDED: () => 'Sending codes is paused for today. Please try again later.',
    CAPTCHA_REQUIRED: () => 'Complete the CAPTCHA: send the captcha_token field.',
    CAPTCHA_INVALID: () => 'The CAPTCHA check failed. Please try again.',
    CAPTCHA_UNAVAILABLE: () => 'The CAPTCHA check is temporarily unavailable. Please try again later.',
    REQUEST_TIMEOUT: () => 'The request was sent too slowly and was cut off. Please try again.',
    HEADERS_TOO_LARGE: () => 'The request headers are too large.',
    CLIENT_CLOSED_REQUEST: () => 'The client closed the connection before the request was complete.',
  },
}
