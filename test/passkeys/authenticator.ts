import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'

// A software authenticator for the HTTP tests: it answers the server's options as a platform authenticator
// would (ES256 key, "none" attestation, user verified), so every check of the library runs on real bytes.
// The Chromium test uses the browser's own virtual authenticator instead.

type Json = Record<string, unknown>

/** Minimal CBOR (RFC 8949) for what an attestation holds: integers, byte and text strings, maps. */
type Cbor = number | string | Uint8Array | Map<number | string, Cbor>

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n])
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n])
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff])
  const b = Buffer.alloc(5)
  b[0] = (major << 5) | 26
  b.writeUInt32BE(n, 1)
  return b
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value])
  const parts = [head(5, value.size)]
  for (const [k, v] of value) parts.push(cbor(k), cbor(v))
  return Buffer.concat(parts)
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url')
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest()

interface Credential {
  id: Buffer
  key: KeyObject
  publicKey: Buffer
  rpId: string
  userHandle: string
  counter: number
}

/** What a browser's PublicKeyCredential.toJSON() gives for a platform authenticator's `response`. */
const asJson = (credential: Credential, response: Json): Json => ({
  id: b64(credential.id),
  rawId: b64(credential.id),
  type: 'public-key',
  authenticatorAttachment: 'platform',
  clientExtensionResults: {},
  response,
})

export interface AuthenticatorOptions {
  /** The page's origin (or an Android app's android:apk-key-hash:...). */
  origin: string
  /** Whether the signature counter goes up with each use (platform passkeys often keep it at 0). */
  counts?: boolean
  /** Whether the user is verified (biometrics, PIN). */
  verified?: boolean
}

export class SoftAuthenticator {
  readonly credentials: Credential[] = []
  constructor(readonly options: AuthenticatorOptions) {}

  /**
   * Answers navigator.credentials.create() options with a new discoverable credential, or with `again`, one
   * made before (an authenticator that ignores excludeCredentials).
   */
  create(options: Json, again?: Credential): Json {
    const origin = this.options.origin
    const { challenge, rp, user } = options as { challenge: string; rp: { id: string }; user: { id: string } }
    const credential = again ?? this.newCredential(rp.id, user.id)
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(credential.id.length)
    const authData = Buffer.concat([
      this.authData(credential, 0x40),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      credential.id,
      credential.publicKey,
    ])
    const clientDataJSON = this.clientData('webauthn.create', challenge, origin)
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    )
    return asJson(credential, {
      clientDataJSON: b64(clientDataJSON),
      attestationObject: b64(attestationObject),
      transports: ['internal'],
    })
  }

  /** Answers navigator.credentials.get() options with the (last, or given) discoverable credential. */
  get(options: Json, overrides: { origin?: string; credential?: Credential; counter?: number } = {}): Json {
    const { challenge } = options as { challenge: string }
    const credential = overrides.credential ?? this.credentials.at(-1)
    if (!credential) throw new Error('no credential to sign in with')
    if (overrides.counter !== undefined) credential.counter = overrides.counter
    else if (this.options.counts) credential.counter += 1
    const authData = this.authData(credential, 0)
    const clientDataJSON = this.clientData('webauthn.get', challenge, overrides.origin ?? this.options.origin)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.key)
    return asJson(credential, {
      clientDataJSON: b64(clientDataJSON),
      authenticatorData: b64(authData),
      signature: b64(signature),
      userHandle: credential.userHandle,
    })
  }

  private newCredential(rpId: string, userHandle: string): Credential {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = publicKey.export({ format: 'jwk' })
    const cose = cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    )
    const credential: Credential = {
      id: randomBytes(16),
      key: privateKey,
      publicKey: cose,
      rpId,
      userHandle,
      counter: this.options.counts ? 1 : 0,
    }
    this.credentials.push(credential)
    return credential
  }

  /** rpIdHash, flags (UP, UV unless unverified, backup eligible and backed up, and `extra`), counter. */
  private authData(credential: Credential, extra: number): Buffer {
    const flags = 0x01 | (this.options.verified === false ? 0 : 0x04) | 0x08 | 0x10 | extra
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(credential.counter)
    return Buffer.concat([sha256(credential.rpId), Buffer.from([flags]), counter])
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  }
}
