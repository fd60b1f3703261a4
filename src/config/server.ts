import Type, { type Static, type TObject } from 'typebox'
import { bool, int, oneOf, withoutTrailingSlashes } from '../settings.js'

export const LANGUAGES = ['uz', 'ru', 'en'] as const
export type Language = (typeof LANGUAGES)[number]

/** The HTTP server: where it listens, whom it trusts for client addresses, who may call it from a browser. */
export const SERVER_SETTINGS = {
  PORT: int(8080, 0, 65535, 'TCP port to listen on (0: any free port)'),
  // No default here: it depends on APP_ENV (serverConfig), so that a developer's laptop is not open to its network.
  HOST: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'address to listen on (unset: 127.0.0.1, or 0.0.0.0 in production)',
    }),
  ),
  APP_ENV: oneOf(['development', 'test', 'production'], 'development', 'development, test or production'),
  TRUST_PROXY: Type.String({
    default: 'false',
    pattern: '^(true|false|\\d+|[0-9a-fA-F.:/]+(\\s*,\\s*[0-9a-fA-F.:/]+)*)$',
    description: 'false, true, a number of proxy hops, or comma-separated proxy addresses/CIDRs',
  }),
  DEFAULT_LANGUAGE: oneOf(LANGUAGES, 'uz', 'uz, ru or en'),
  CORS_ORIGINS: Type.String({
    default: '',
    pattern: '^(|\\*|https?://[^,\\s]+(\\s*,\\s*https?://[^,\\s]+)*)$',
    description:
      'empty (no cross-origin browser access), * or comma-separated origins such as https://app.example.uz',
  }),
  STRICT_STARTUP: bool(false, 'true (refuse to start when a gateway refuses its credentials) or false'),
}

type ServerEnv = Static<TObject<typeof SERVER_SETTINGS>>

function parseTrustProxy(raw: string): boolean | number | string[] {
  if (raw === 'true') return true
  if (raw === 'false') return false
  if (/^\d+$/.test(raw)) return Number(raw)
  return raw.split(',').map((s) => s.trim())
}

export function serverConfig(env: ServerEnv) {
  return {
    env: env.APP_ENV,
    http: {
      port: env.PORT,
      host: env.HOST ?? (env.APP_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
    },
    /** Whether a gateway that refuses its credentials at start stops the start (else: /ready is degraded). */
    startup: { strict: env.STRICT_STARTUP },
    defaultLanguage: env.DEFAULT_LANGUAGE,
    cors: {
      origins:
        env.CORS_ORIGINS === ''
          ? null
          : env.CORS_ORIGINS === '*'
            ? ('*' as const)
            : env.CORS_ORIGINS.split(',').map((s) => withoutTrailingSlashes(s.trim())),
    },
  }
}
