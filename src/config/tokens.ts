import Type, { type Static, type TObject } from 'typebox'
import { int, oneOf, withoutTrailingSlashes } from '../settings.js'
import { SIGNING_ALGORITHMS } from '../tokens/key-pairs.js'

/** Access tokens: how they are signed, whom they name as issuer and audience, how long they live. */
export const TOKEN_SETTINGS = {
  TOKEN_ALGORITHM: oneOf(SIGNING_ALGORITHMS, 'EdDSA', 'EdDSA (Ed25519) or ES256 (ECDSA P-256)'),
  TOKEN_ISSUER: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^\\S+$',
      description: 'the iss claim, without spaces (unset: PUBLIC_BASE_URL, else royal-taxi-auth)',
    }),
  ),
  TOKEN_AUDIENCE: Type.String({
    default: 'royal-taxi',
    minLength: 1,
    maxLength: 200,
    pattern: '^\\S+$',
    description: 'the aud claim, without spaces',
  }),
  // An hour at most: an access token cannot be revoked (a removed driver keeps one until it expires), and
  // previous signing keys stay published for this long after a rotation.
  ACCESS_TOKEN_MINUTES: int(15, 1, 60, 'minutes an access token is valid'),
}

type TokenEnv = Static<TObject<typeof TOKEN_SETTINGS>> & { PUBLIC_BASE_URL?: string | undefined }

export function tokenConfig(env: TokenEnv) {
  const publicBaseUrl = env.PUBLIC_BASE_URL ? withoutTrailingSlashes(env.PUBLIC_BASE_URL) : null
  return {
    tokens: {
      /** What a newly made signing key uses (src/tokens/keys.ts). */
      algorithm: env.TOKEN_ALGORITHM,
      issuer: env.TOKEN_ISSUER ?? publicBaseUrl ?? 'royal-taxi-auth',
      audience: env.TOKEN_AUDIENCE,
      accessTokenSeconds: env.ACCESS_TOKEN_MINUTES * 60,
      /** What the discovery document's URLs start with; null: the request's own scheme and host. */
      publicBaseUrl,
    },
  }
}
