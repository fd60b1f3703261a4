import { type Messages, mins } from './uz.js'

type P = Record<string, string | number>

const minutes = (n: string | number) => `${n} ${Number(n) === 1 ? 'minute' : 'minutes'}`
const seconds = (n: string | number) => `${n} ${Number(n) === 1 ? 'second' : 'seconds'}`

export const en: Messages = {
  otpSent: (p: P) =>
    `Verification code sent to ${p.phone}. The code is valid for ${minutes(p.minutes as number)}.`,
  otpSentTelegram: (p: P) =>
    `Verification code sent via Telegram: open the "Verification Codes" chat in the Telegram account of ${p.phone}. The code is valid for ${minutes(p.minutes as number)}.`,
  smsBody: (p: P) =>
    `Royal Taxi verification code: ${p.code}\nThe code is valid for ${minutes(p.minutes as number)}.\nIf you did not request this code, please ignore this message.`,
  smsAutofillBody: (p: P) =>
    `Royal Taxi verification code: ${p.code}\nValid for ${minutes(p.minutes as number)}. If you did not request it, ignore this message.`,
  validation: {
    fields: {
      phone: () => 'The phone number must be in the form +998901234567.',
      code: () => 'The code must be 4–10 digits.',
      language: () => 'The language must be uz, ru or en.',
      client: () => 'The client must be android, ios or web.',
      app: () => 'The app must be passenger or driver.',
      channel: () => 'The channel must be telegram or sms.',
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
    SESSION_NOT_FOUND: () => 'There is no such active session.',
    PHONE_UNCHANGED: () => 'This number is already the one on your account.',
    PHONE_TAKEN: () =>
      'This number belongs to another account. Enter another number, or delete that account.',
    ADMIN_DISABLED: () => 'The admin console is disabled: set ADMIN_TOKEN to enable it.',
    ADMIN_TOKEN_INVALID: () => 'Wrong admin token.',
    BLOCK_NOT_FOUND: () => 'No block is in force for this prefix.',
    DRIVER_PHONE_INVALID: (p: P) =>
      `Nothing was added: not a valid mobile number, or given twice: ${p.phones}.`,
    DRIVER_NOT_FOUND: () => 'This number is not on the driver roster.',
    DRIVER_NOT_REGISTERED: () => 'This number is not registered as a driver. Contact your taxi fleet.',
    PASSKEYS_DISABLED: () => 'Passkeys are disabled on this server: set PASSKEY_RP_ID to enable them.',
    PASSKEY_CHALLENGE_INVALID: () => 'The passkey request has expired or was already used. Please try again.',
    PASSKEY_INVALID: () => 'The passkey could not be verified. Please try again.',
    PASSKEY_UNKNOWN: () => 'This passkey is not registered. Sign in with a code and add it again.',
    PASSKEY_NOT_FOUND: () => 'Passkey not found.',
    PASSKEY_ALREADY_REGISTERED: () => 'This passkey is already registered.',
    PASSKEY_LIMIT: (p: P) => `You already have ${p.max} passkeys. Delete one to add another.`,
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
