import Type from 'typebox'
import { LANGUAGES } from '../config.js'

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
  },
  strict,
)

export const SendOtpResponse = Type.Object(
  {
    message: Type.String(),
    phone: Type.String({ description: 'The number in E.164' }),
    expires_in: Type.Integer({ description: 'Seconds the code stays valid' }),
    otp_code: Type.Optional(Type.String({ description: 'Development mode only: the code itself' })),
  },
  strict,
)

export const VerifyOtpBody = Type.Object(
  {
    phone: PhoneField,
    code: Type.String({
      pattern: '^[0-9]{4,10}$',
      description: 'The code from the SMS',
      examples: ['123456'],
    }),
  },
  strict,
)

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    phone: Type.String(),
    full_name: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
  },
  strict,
)

const sessionFields = {
  access_token: Type.String({ description: 'JWT (HS256), valid 15 minutes' }),
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

// No C0/C1 control characters: PostgreSQL refuses NUL in text (a 500 there, stored on SQLite), and none
// belongs in a name shown to drivers.
export const FullNameField = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
  description: "The rider's name, without control characters",
})

export const UpdateUserBody = Type.Object({ full_name: Type.Union([FullNameField, Type.Null()]) }, strict)

export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]))
}
