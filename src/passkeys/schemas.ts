import Type from 'typebox'
import { APPS } from '../otp/texts.js'

// Shapes of the passkey endpoints. The WebAuthn objects are the JSON forms browsers make with
// PublicKeyCredential.toJSON() (and @simplewebauthn/browser): their known fields are checked and bounded, and
// fields a newer browser adds pass through to the library, which knows them.

const strict = { additionalProperties: false } as const
const open = { additionalProperties: true } as const

const B64URL = '^[A-Za-z0-9_-]*={0,2}$'
const base64url = (maxLength: number, description?: string) =>
  Type.String({ pattern: B64URL, minLength: 1, maxLength, ...(description ? { description } : {}) })

const Transports = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })
const Descriptor = Type.Object(
  {
    id: Type.String(),
    type: Type.String({ examples: ['public-key'] }),
    transports: Type.Optional(Transports),
  },
  open,
)

export const RegistrationOptions = Type.Object(
  {
    challenge: Type.String({ description: 'base64url; answer within 5 minutes, once' }),
    rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }, open),
    user: Type.Object(
      {
        id: Type.String({ description: 'The user handle (base64url): random-looking, not the phone number' }),
        name: Type.String(),
        displayName: Type.String(),
      },
      open,
    ),
    pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() }, open)),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(Type.Array(Descriptor, { description: 'The passkeys the user has' })),
    authenticatorSelection: Type.Optional(
      Type.Object(
        {
          authenticatorAttachment: Type.Optional(Type.String()),
          residentKey: Type.Optional(Type.String()),
          requireResidentKey: Type.Optional(Type.Boolean()),
          userVerification: Type.Optional(Type.String()),
        },
        open,
      ),
    ),
    hints: Type.Optional(Type.Array(Type.String())),
    attestation: Type.Optional(Type.String()),
    extensions: Type.Optional(Type.Unknown()),
  },
  { ...open, description: 'PublicKeyCredentialCreationOptionsJSON: pass to navigator.credentials.create()' },
)

export const SignInOptions = Type.Object(
  {
    challenge: Type.String({ description: 'base64url; answer within 5 minutes, once' }),
    timeout: Type.Optional(Type.Integer()),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(
      Type.Array(Descriptor, {
        description: 'Empty: the authenticator offers its own discoverable passkeys',
      }),
    ),
    userVerification: Type.Optional(Type.String()),
    hints: Type.Optional(Type.Array(Type.String())),
    extensions: Type.Optional(Type.Unknown()),
  },
  { ...open, description: 'PublicKeyCredentialRequestOptionsJSON: pass to navigator.credentials.get()' },
)

const credentialFields = {
  id: base64url(1366, 'The credential id, base64url'),
  rawId: base64url(1366),
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  clientExtensionResults: Type.Record(Type.String(), Type.Unknown()),
}

export const RegistrationCredential = Type.Object(
  {
    ...credentialFields,
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        attestationObject: base64url(8192),
        authenticatorData: Type.Optional(base64url(8192)),
        transports: Type.Optional(Transports),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(base64url(4096)),
      },
      open,
    ),
  },
  { ...open, description: 'RegistrationResponseJSON: what navigator.credentials.create() gave, as JSON' },
)

export const AuthenticationCredential = Type.Object(
  {
    ...credentialFields,
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        authenticatorData: base64url(4096),
        signature: base64url(2048),
        userHandle: Type.Optional(base64url(128)),
      },
      open,
    ),
  },
  { ...open, description: 'AuthenticationResponseJSON: what navigator.credentials.get() gave, as JSON' },
)

// No C0/C1 control characters, as in a rider's name.
const NameField = (description: string) =>
  Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$', description })

export const RegisterVerifyBody = Type.Object(
  {
    credential: RegistrationCredential,
    name: Type.Optional(NameField('What the user calls this passkey; default: the device it was made on')),
  },
  strict,
)

export const SignInVerifyBody = Type.Object(
  {
    credential: AuthenticationCredential,
    app: Type.Optional(
      Type.Enum(APPS, {
        default: 'passenger',
        description:
          "The app to sign in to; it becomes the access token's role. driver: only numbers on the driver roster (403 DRIVER_NOT_REGISTERED)",
      }),
    ),
    device_name: Type.Optional(
      NameField('The name of the device for the list of sessions; default: made from the User-Agent'),
    ),
  },
  strict,
)

export const PasskeyOut = Type.Object(
  {
    id: Type.String({ description: 'Our id of the passkey (for DELETE), not the credential id' }),
    name: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'The last sign-in with it; null: never used',
    }),
    synced: Type.Boolean({
      description: 'Backed up by its provider (iCloud Keychain, Google Password Manager)',
    }),
  },
  strict,
)

export const PasskeyList = Type.Object({ passkeys: Type.Array(PasskeyOut) }, strict)

export const PasskeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, strict)
