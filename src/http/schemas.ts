import Type from 'typebox'
import { LANGUAGES } from '../config.js'
import { APPS, CLIENTS } from '../otp/texts.js'

/** Where a code can go: a message in Telegram (Telegram Gateway) or an SMS. */
export const CHANNELS = ['telegram', 'sms'] as const

// Request and response shapes. Fastify validates and serialises with them and the OpenAPI document is made
// from them, so the three never disagree. Objects reject unknown fields.

const strict = { additionalProperties: false } as const

export const ErrorBody = Type.Object(
  {
    detail: Type.String({ description: "Human-readable message in the request's language" }),
    code: Type.String({ description: 'Stable error code (docs/ERRORS.md)' }),
  },
  { additionalProperties: true, description: 'Error' },
)

export const PhoneField = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Mobile number in international format; spaces, dashes and brackets are ignored',
  examples: ['+998901234567'],
})

export const SendOtpBody = Type.Object(
  {
    phone: PhoneField,
    language: Type.Optional(
      Type.Enum(LANGUAGES, {
        description: 'Language of the SMS and the response; default from Accept-Language',
      }),
    ),
    captcha_token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          'The Turnstile or hCaptcha response token; required when the server sets CAPTCHA_PROVIDER',
      }),
    ),
    client: Type.Optional(
      Type.Enum(CLIENTS, {
        description:
          'What the code is entered on: with ANDROID_APP_HASHES or WEBOTP_DOMAIN set, the SMS ends with the line the phone fills the code in from (docs/AUTOFILL.md)',
      }),
    ),
    app: Type.Optional(
      Type.Enum(APPS, {
        default: 'passenger',
        description: 'Which app asks: picks the Android app hash of the SMS',
      }),
    ),
    channel: Type.Optional(
      Type.Enum(CHANNELS, {
        description:
          'sms: the code goes by SMS only, no Telegram step is tried; telegram (the default): the route as configured (docs/TELEGRAM.md)',
      }),
    ),
  },
  strict,
)

export const SendOtpResponse = Type.Object(
  {
    message: Type.String(),
    phone: Type.String({ description: 'The number in E.164' }),
    expires_in: Type.Integer({ description: 'Seconds the code stays valid' }),
    channel: Type.Enum(CHANNELS, { description: 'Where the code was sent first: look for it there' }),
    otp_code: Type.Optional(Type.String({ description: 'Development mode only: the code itself' })),
  },
  strict,
)

/**
 * A name people read (a rider's, a device's): 1–100 characters, no C0/C1 control characters: PostgreSQL
 * refuses NUL in text (a 500 there, stored on SQLite), and none belongs in a name shown to drivers.
 */
function nameField(description: string) {
  return Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
    description,
  })
}

/** The name a user sees for a session in their list of sessions; the User-Agent's when not given. */
export const DeviceNameField = nameField(
  "The device's name in the user's list of sessions (default: made from the User-Agent)",
)

export const VerifyOtpBody = Type.Object(
  {
    phone: PhoneField,
    code: Type.String({
      pattern: '^[0-9]{4,10}$',
      description: 'The code from the SMS',
      examples: ['123456'],
    }),
    app: Type.Optional(
      Type.Enum(APPS, {
        default: 'passenger',
        description:
          "The app to sign in to; it becomes the access token's role. driver: only numbers on the driver roster (403 DRIVER_NOT_REGISTERED)",
      }),
    ),
    device_name: Type.Optional(DeviceNameField),
  },
  strict,
)

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    phone: Type.String(),
    full_name: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    roles: Type.Array(Type.Enum(APPS), {
      description: 'The apps the user may sign in to: passenger always, driver while on the driver roster',
    }),
    role: Type.Enum(APPS, { description: 'The app of this session: the role its access tokens carry' }),
  },
  strict,
)

const sessionFields = {
  access_token: Type.String({
    description:
      'JWT signed with EdDSA (or ES256), checked with /.well-known/jwks.json; valid ACCESS_TOKEN_MINUTES (15) (docs/TOKENS.md)',
  }),
  refresh_token: Type.String({
    description: 'Opaque, valid 30 days, single use: each refresh returns a new one',
  }),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
}

export const SessionResponse = Type.Object(sessionFields, strict)

export const SignInResponse = Type.Object(
  { ...sessionFields, user: UserSchema, is_new_user: Type.Boolean() },
  strict,
)

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 512 }) },
  strict,
)

export const FullNameField = nameField("The rider's name, without control characters")

export const UpdateUserBody = Type.Object({ full_name: Type.Union([FullNameField, Type.Null()]) }, strict)

export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]))
}
