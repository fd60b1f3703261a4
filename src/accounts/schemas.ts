import Type from 'typebox'
import { SendOtpBody, VerifyOtpBody } from '../http/schemas.js'
import { APPS } from '../otp/texts.js'

const strict = { additionalProperties: false } as const

export const SessionSchema = Type.Object(
  {
    id: Type.String({ description: 'The session id (also the `sid` claim of its access tokens)' }),
    device_name: Type.String({ description: 'The name the app gave, else one made from the User-Agent' }),
    platform: Type.Union([Type.Enum(['android', 'ios', 'web', 'other']), Type.Null()]),
    app: Type.Enum(APPS),
    country: Type.Union([Type.String(), Type.Null()], {
      description:
        'Where the last request came from (ISO 3166), when the proxy in front says (COUNTRY_HEADER)',
    }),
    created_at: Type.String({ format: 'date-time', description: 'When the session signed in' }),
    last_used_at: Type.String({ format: 'date-time', description: 'Its last sign-in or refresh' }),
    current: Type.Boolean({ description: 'Whether this is the session of the access token in hand' }),
  },
  strict,
)

export const SessionsResponse = Type.Object({ sessions: Type.Array(SessionSchema) }, strict)

export const EndAllBody = Type.Object(
  {
    keep_current: Type.Optional(
      Type.Boolean({ default: false, description: 'true: every session but the current one ends' }),
    ),
  },
  { ...strict, description: 'May be left out' },
)

/** Asking for a code to the account's own number: as send-otp, without the number. */
export const CodeRequestBody = Type.Omit(SendOtpBody, ['phone', 'app'], {
  ...strict,
  description: 'As send-otp, without the number; may be left out',
})

export const CodeBody = Type.Pick(VerifyOtpBody, ['code'], strict)
