import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max'
import Type, { type Static, type TObject } from 'typebox'
import { parsePhone } from '../phone/index.js'
import { bool, int, oneOf, optionalString } from '../settings.js'

/** Codes: their shape and life, who may ask for one, the fixed test numbers and the CAPTCHA. */
export const OTP_SETTINGS = {
  OTP_LENGTH: int(6, 4, 10, 'digits'),
  OTP_TTL_SECONDS: Type.Integer({
    default: 300,
    minimum: 60,
    maximum: 3600,
    multipleOf: 60,
    description: 'seconds, a whole number of minutes from 60 to 3600 (the texts say "5 daqiqa")',
  }),
  OTP_MAX_ATTEMPTS: int(5, 1, 20, 'wrong tries before a code is destroyed'),
  OTP_RESEND_SECONDS: int(60, 0, 3600, 'seconds'),
  OTP_IP_LIMIT_PER_MINUTE: int(5, 1, 1_000_000, 'requests'),
  ALLOWED_COUNTRIES: Type.String({
    default: 'UZ',
    pattern: '^(\\*|[A-Za-z]{2}(\\s*,\\s*[A-Za-z]{2})*)$',
    description: 'comma-separated ISO country codes such as UZ,KZ, or *',
  }),
  TEST_OTP_NUMBERS: Type.String({
    default: '',
    pattern: '^(|\\+\\d{7,15}:\\d{4,10}(\\s*,\\s*\\+\\d{7,15}:\\d{4,10})*)$',
    description: 'comma-separated number:code pairs such as +998900000001:111111',
  }),
  ALLOW_TEST_NUMBERS_IN_PRODUCTION: bool(false, 'true or false'),
  CAPTCHA_PROVIDER: oneOf(['none', 'turnstile', 'hcaptcha'], 'none', 'none, turnstile or hcaptcha'),
  CAPTCHA_SECRET: optionalString('the secret key from the CAPTCHA provider'),
  CAPTCHA_VERIFY_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^/]+', description: "an http(s) URL (default: the provider's)" }),
  ),
}

type OtpEnv = Static<TObject<typeof OTP_SETTINGS>> & { APP_ENV: string }

const CAPTCHA_VERIFY_URLS = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
} as const

function parseTestNumbers(raw: string): Map<string, string> {
  const numbers = new Map<string, string>()
  for (const pair of raw.split(',')) {
    const [number, code] = pair.trim().split(':')
    if (number && code) numbers.set(number, code)
  }
  return numbers
}

export function otpProblems(env: OtpEnv): string[] {
  const problems: string[] = []
  if (env.ALLOWED_COUNTRIES !== '*') {
    for (const c of env.ALLOWED_COUNTRIES.split(',').map((s) => s.trim().toUpperCase())) {
      if (!isSupportedCountry(c)) problems.push(`ALLOWED_COUNTRIES: unknown country code "${c}"`)
    }
  }
  if (env.CAPTCHA_PROVIDER !== 'none' && !env.CAPTCHA_SECRET)
    problems.push(`CAPTCHA_SECRET: required when CAPTCHA_PROVIDER=${env.CAPTCHA_PROVIDER}`)
  for (const [number] of parseTestNumbers(env.TEST_OTP_NUMBERS)) {
    if (parsePhone(number)?.e164 !== number)
      problems.push(`TEST_OTP_NUMBERS: ${number} is not a valid mobile number in E.164`)
  }
  return problems
}

export function otpConfig(env: OtpEnv) {
  const testNumbersOff = env.APP_ENV === 'production' && !env.ALLOW_TEST_NUMBERS_IN_PRODUCTION
  return {
    otp: {
      length: env.OTP_LENGTH,
      ttlSeconds: env.OTP_TTL_SECONDS,
      maxAttempts: env.OTP_MAX_ATTEMPTS,
      resendSeconds: env.OTP_RESEND_SECONDS,
      ipLimitPerMinute: env.OTP_IP_LIMIT_PER_MINUTE,
    },
    allowedCountries:
      env.ALLOWED_COUNTRIES === '*'
        ? ('*' as const)
        : new Set(env.ALLOWED_COUNTRIES.split(',').map((s) => s.trim().toUpperCase() as CountryCode)),
    /** Fixed codes for app-store review and end-to-end tests; empty in production unless explicitly allowed. */
    testNumbers: testNumbersOff ? new Map<string, string>() : parseTestNumbers(env.TEST_OTP_NUMBERS),
    /** TEST_OTP_NUMBERS were set but are ignored because this is production without the explicit allowance. */
    testNumbersIgnored: testNumbersOff && env.TEST_OTP_NUMBERS !== '',
    captcha:
      env.CAPTCHA_PROVIDER === 'none'
        ? null
        : {
            provider: env.CAPTCHA_PROVIDER,
            secret: env.CAPTCHA_SECRET as string,
            verifyUrl: env.CAPTCHA_VERIFY_URL ?? CAPTCHA_VERIFY_URLS[env.CAPTCHA_PROVIDER],
          },
  }
}
