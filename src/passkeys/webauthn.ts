import type { verifyAuthenticationResponse } from '@simplewebauthn/server'
import type { Passkey } from '../stores/passkeys/index.js'

// Small readings of WebAuthn data the library leaves to its caller.

type AuthenticatorTransportFuture = NonNullable<
  Parameters<typeof verifyAuthenticationResponse>[0]['credential']['transports']
>[number]

/**
 * The client data an authenticator signed, read for its challenge (to take it from the store before the
 * library checks the rest) and its origin; null when it is not base64url JSON (the library refuses it too).
 */
export function clientData(clientDataJSON: string): { challenge?: unknown; origin?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'))
    return parsed && typeof parsed === 'object' ? parsed : null
  } catch {
    return null
  }
}

/** The transports a passkey was registered with (stored as a JSON array); unreadable: none. */
export function transportsOf(p: Passkey): AuthenticatorTransportFuture[] {
  try {
    const parsed: unknown = JSON.parse(p.transports)
    return Array.isArray(parsed)
      ? (parsed.filter((t) => typeof t === 'string') as AuthenticatorTransportFuture[])
      : []
  } catch {
    return []
  }
}
