import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type, { type Static } from 'typebox'

const strict = { additionalProperties: false } as const

// With additionalProperties false the serializer writes only these members: a private one (`d`) could not
// leave even if a key object carried it.
const PublicJwk = Type.Object(
  {
    kty: Type.Union([Type.Literal('OKP'), Type.Literal('EC')]),
    crv: Type.Union([Type.Literal('Ed25519'), Type.Literal('P-256')]),
    x: Type.String(),
    y: Type.Optional(Type.String({ description: 'EC (P-256) keys only' })),
    kid: Type.String({
      description: "The key's RFC 7638 thumbprint: the `kid` header of the tokens it signed",
    }),
    alg: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256')]),
    use: Type.Literal('sig'),
  },
  strict,
)

const Jwks = Type.Object(
  {
    keys: Type.Array(PublicJwk, {
      description: 'The current key first, then previous keys still verifying tokens they signed',
    }),
  },
  strict,
)

const Discovery = Type.Object(
  {
    issuer: Type.String({ description: 'The `iss` of every access token (TOKEN_ISSUER)' }),
    jwks_uri: Type.String({ description: 'Where the public keys are' }),
    id_token_signing_alg_values_supported: Type.Array(Type.String()),
    subject_types_supported: Type.Array(Type.Literal('public')),
    claims_supported: Type.Array(Type.String()),
  },
  strict,
)

// A verifier caches the JWKS and fetches it again when a token names a kid it does not hold (jose, PyJWT,
// keyfunc all do), so a short max-age costs few requests. It matters for a shared cache (CDN, proxy) between
// them and us: a key made by a rotation signs within 30 s, and such a cache hides it for up to max-age.
const JWKS_CACHE = 'public, max-age=60'
// The discovery document changes only with the configuration (or a rotation to another algorithm).
const DISCOVERY_CACHE = 'public, max-age=300'

const CLAIMS = ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'phone', 'role']

/** `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`: how other services find the keys. */
export const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { tokens } = app.config

  /** Absolute, as the discovery spec requires: PUBLIC_BASE_URL, else the scheme and host asked for. */
  const base = (request: FastifyRequest) => tokens.publicBaseUrl ?? `${request.protocol}://${request.host}`

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['tokens'],
        summary: 'The public keys access tokens are signed with (JWKS, RFC 7517)',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      void reply.header('Cache-Control', JWKS_CACHE)
      // node:crypto types a JWK loosely; the key ring writes exactly these members (publicJwk).
      return app.keyRing.jwks() as Static<typeof Jwks>
    },
  )

  app.get(
    '/.well-known/openid-configuration',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Where the keys are, for libraries that start from the issuer (OpenID Connect Discovery)',
        response: { 200: Discovery },
      },
    },
    async (request, reply) => {
      void reply.header('Cache-Control', DISCOVERY_CACHE)
      const algorithms = new Set(app.keyRing.jwks().keys.map((k) => k.alg as string))
      return {
        issuer: tokens.issuer,
        jwks_uri: `${base(request)}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: [...algorithms],
        subject_types_supported: ['public' as const],
        claims_supported: CLAIMS,
      }
    },
  )
}
