import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import type { Logger } from 'pino'
import { LOCALHOST_ORIGIN, type PasskeySettings } from '../config/passkeys.js'
import { hmac, randomToken, timeOrderedId } from '../crypto.js'
import type { App } from '../db/schema.js'
import { AppError } from '../errors.js'
import type { Cost } from '../pricing.js'
import type { Device } from '../sessions/device.js'
import type { Session, SessionService } from '../sessions/service.js'
import type {
  Challenge,
  ChallengePurpose,
  ChallengeStore,
  Passkey,
  PasskeySignIn,
  PasskeyStore,
} from '../stores/passkeys/index.js'
import type { User } from '../stores/sessions/index.js'
import { clientData, transportsOf } from './webauthn.js'

/** How long a challenge may be answered: the ceremony's timeout with time to spare for a slow network. */
export const CHALLENGE_SECONDS = 300
/** What the browser is told to wait for the user (WebAuthn `timeout`). */
const CEREMONY_TIMEOUT_MS = 120_000
/**
 * EdDSA, ES256, RS256: what every platform authenticator offers. The library would put ML-DSA-44 first when
 * the runtime has it, but Node's ML-DSA is still experimental, and its signatures (2.4 kB) are not worth that.
 */
const ALGORITHMS = [-8, -7, -257]
/** The most passkeys one user may have: enough for every phone and laptop, and a bound on the table. */
export const MAX_PASSKEYS = 20

/** The code SMS a passkey sign-in spared: the first SMS provider of the number's route and its price. */
export interface SparedSms {
  provider: string | null
  cost: Cost | null
}

export interface PasskeyServiceOptions {
  settings: PasskeySettings
  passkeys: PasskeyStore
  challenges: ChallengeStore
  sessions: Pick<SessionService, 'signIn' | 'getUser'>
  /** The key user handles are derived under (from SECRET_KEY). */
  userHandleKey: Buffer
  /** The country of a number and what a code SMS to it would have cost (priced by its route: ./plugin.ts). */
  sparedSms: (phone: string) => { country: string } & SparedSms
  /** Told of each sign-in with a passkey once its session is open (metrics). */
  onSignIn?: (signIn: PasskeySignIn) => void
  log: Logger
  now?: () => number
}

/**
 * Passkeys (WebAuthn) through @simplewebauthn/server: registration for a signed-in user, and sign-in with a
 * discoverable credential, no phone number asked. Every challenge is stored (shared by the instances) and
 * taken in the step that reads it, so each is answered once; the library checks origin, RP id, user
 * verification, signature and counter; the counter is then moved forward only if no other use moved it
 * first, so of two uses of one assertion one at most signs in.
 */
export class PasskeyService {
  private readonly now: () => number

  constructor(private readonly options: PasskeyServiceOptions) {
    this.now = options.now ?? Date.now
  }

  /** Options for navigator.credentials.create(): a discoverable passkey with user verification. */
  async registrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { settings, passkeys } = this.options
    const existing = await passkeys.list(user.id)
    const options = await generateRegistrationOptions({
      rpName: settings.rpName,
      rpID: settings.rpId,
      userName: user.phone,
      userDisplayName: user.full_name ?? user.phone,
      userID: Buffer.from(this.userHandle(user.id), 'base64url'),
      challenge: randomToken(32),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: transportsOf(p) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    })
    await this.saveChallenge(options.challenge, 'register', user.id)
    return options
  }

  /** Checks the authenticator's answer to `registrationOptions` and stores the passkey. */
  async register(
    userId: number,
    credential: RegistrationResponseJSON,
    name: string | undefined,
    device: Device,
  ): Promise<Passkey> {
    const challenge = await this.takeChallenge(credential.response.clientDataJSON, 'register', userId)
    let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo']
    try {
      const result = await verifyRegistrationResponse({
        response: credential,
        expectedChallenge: challenge,
        expectedOrigin: this.expectedOrigins(credential.response.clientDataJSON),
        expectedRPID: this.options.settings.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      })
      info = result.registrationInfo
    } catch (err) {
      throw this.invalid(err, 'registration')
    }
    if (!info) throw this.invalid(null, 'registration')
    const id = timeOrderedId()
    const refused = await this.options.passkeys.add(
      {
        id,
        userId,
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: info.credential.transports ?? credential.response.transports ?? [],
        userHandle: this.userHandle(userId),
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        name: name?.trim() || device.name,
      },
      MAX_PASSKEYS,
      this.now(),
    )
    if (refused === 'duplicate') throw new AppError('PASSKEY_ALREADY_REGISTERED')
    if (refused === 'full') throw new AppError('PASSKEY_LIMIT', { max: MAX_PASSKEYS }, { max: MAX_PASSKEYS })
    // The account was deleted while its access token still ran.
    if (refused === 'no_user') throw new AppError('TOKEN_INVALID')
    const stored = (await this.options.passkeys.list(userId)).find((p) => p.id === id)
    if (!stored) throw new AppError('PASSKEY_NOT_FOUND')
    return stored
  }

  async list(userId: number): Promise<Passkey[]> {
    return await this.options.passkeys.list(userId)
  }

  /** Deletes one of the user's passkeys: 404 for an unknown id and for another user's alike. */
  async remove(userId: number, id: string): Promise<void> {
    if (!(await this.options.passkeys.remove(userId, id))) throw new AppError('PASSKEY_NOT_FOUND')
  }

  /** Options for navigator.credentials.get() with no credentials listed: the authenticator offers its own. */
  async signInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.options.settings.rpId,
      challenge: randomToken(32),
      timeout: CEREMONY_TIMEOUT_MS,
      allowCredentials: [],
      userVerification: 'required',
    })
    await this.saveChallenge(options.challenge, 'authenticate', null)
    return options
  }

  /**
   * Checks an assertion and opens a session in `app` for the passkey's user, as a right code would:
   * the same tokens, the same roster rule for the driver app.
   */
  async signIn(
    credential: AuthenticationResponseJSON,
    app: App,
    device: Device,
  ): Promise<{ session: Session; user: User; isNew: boolean }> {
    const { passkeys, sessions } = this.options
    const challenge = await this.takeChallenge(credential.response.clientDataJSON, 'authenticate', null)
    const passkey = await passkeys.byCredential(credential.id)
    if (!passkey) throw new AppError('PASSKEY_UNKNOWN')
    // A discoverable assertion names its user; it must be the one this passkey was registered for.
    const handle = credential.response.userHandle
    if (handle !== undefined && handle !== passkey.user_handle) throw this.invalid(null, 'a user handle')
    let counter: number
    try {
      const result = await verifyAuthenticationResponse({
        response: credential,
        expectedChallenge: challenge,
        expectedOrigin: this.expectedOrigins(credential.response.clientDataJSON),
        expectedRPID: this.options.settings.rpId,
        credential: {
          id: passkey.credential_id,
          publicKey: Buffer.from(passkey.public_key, 'base64url'),
          counter: Number(passkey.counter),
          transports: transportsOf(passkey),
        },
        requireUserVerification: true,
      })
      if (!result.verified) throw new Error('the signature does not match the passkey')
      counter = result.authenticationInfo.newCounter
    } catch (err) {
      throw this.invalid(err, 'sign-in')
    }
    const now = this.now()
    if (!(await passkeys.use(passkey.id, Number(passkey.counter), counter, now)))
      throw this.invalid(null, 'sign-in (the counter moved meanwhile)')
    const user = await sessions.getUser(passkey.user_id)
    if (!user) throw new AppError('PASSKEY_UNKNOWN')
    const signedIn = await sessions.signIn(user.phone, app, device)
    await this.count(user.phone, app, now)
    return signedIn
  }

  /** Records the sign-in and the SMS it spared; a failure here costs a statistic, never the sign-in. */
  private async count(phone: string, app: App, at: number): Promise<void> {
    const spared = this.options.sparedSms(phone)
    const signIn: PasskeySignIn = {
      id: timeOrderedId(at),
      app,
      country: spared.country,
      provider: spared.provider,
      saved: spared.cost,
      at,
    }
    this.options.onSignIn?.(signIn)
    await this.options.passkeys
      .recordSignIn(signIn)
      .catch((err) => this.options.log.warn({ err }, 'could not record a passkey sign-in'))
  }

  /** The WebAuthn user handle of a user: stable, and no personal data (an HMAC of the id). */
  private userHandle(userId: number): string {
    // 32 bytes (the HMAC-SHA-256 whole), base64url: the WebAuthn user handle allows up to 64.
    return hmac(this.options.userHandleKey, `webauthn-user:${userId}`)
  }

  private async saveChallenge(challenge: string, purpose: ChallengePurpose, userId: number | null) {
    const value: Challenge = { purpose, userId, expiresAt: this.now() + CHALLENGE_SECONDS * 1000 }
    await this.options.challenges.save(challenge, value)
  }

  /**
   * Takes the challenge the client data carries, once: unknown, expired, already taken, or handed out for
   * something else (another user's registration, a sign-in) is PASSKEY_CHALLENGE_INVALID.
   */
  private async takeChallenge(
    clientDataJSON: string,
    purpose: ChallengePurpose,
    userId: number | null,
  ): Promise<string> {
    const challenge = clientData(clientDataJSON)?.challenge
    if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(challenge))
      throw this.invalid(null, 'client data')
    const taken = await this.options.challenges.take(challenge, this.now())
    if (!taken || taken.purpose !== purpose || taken.userId !== userId)
      throw new AppError('PASSKEY_CHALLENGE_INVALID')
    return challenge
  }

  /** PASSKEY_ORIGINS, and in development (the default of a localhost RP id) the page's own localhost origin. */
  private expectedOrigins(clientDataJSON: string): string[] {
    const { origins, anyLocalhostPort } = this.options.settings
    const origin = clientData(clientDataJSON)?.origin
    return anyLocalhostPort && typeof origin === 'string' && LOCALHOST_ORIGIN.test(origin)
      ? [...origins, origin]
      : origins
  }

  /** PASSKEY_INVALID, with the library's reason in the log (never in the answer: it would help an attacker). */
  private invalid(err: unknown, step: string): AppError {
    const reason = err instanceof Error ? err.message : null
    this.options.log.info({ reason }, `passkey ${step} refused${reason ? `: ${reason}` : ''}`)
    return new AppError('PASSKEY_INVALID')
  }
}
