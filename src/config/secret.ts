import { randomBytes } from 'node:crypto'
import Type, { type Static, type TObject } from 'typebox'

/** The key every token and code hash is derived from. */
export const SECRET_SETTINGS = {
  SECRET_KEY: Type.Optional(
    Type.String({ minLength: 32, description: 'a random string of 32 characters or more' }),
  ),
}

type SecretEnv = Static<TObject<typeof SECRET_SETTINGS>> & { APP_ENV: string }

// Words of the placeholders people paste from examples; a real key is random.
const PLACEHOLDER_SECRET = /change.?me|example|placeholder|your.?(secret|key)|x{8}/i

/**
 * A production key must be random, not only long: fewer than 16 distinct characters in 32+ (a repeated
 * pattern), or a placeholder word, is refused. `openssl rand -base64 48` passes with room to spare.
 */
export function isWeakSecret(secret: string): boolean {
  return new Set(secret).size < 16 || PLACEHOLDER_SECRET.test(secret)
}

export function secretProblems(env: SecretEnv): string[] {
  if (env.APP_ENV !== 'production') return []
  if (!env.SECRET_KEY)
    return ['SECRET_KEY: required in production (a random string of 32 characters or more)']
  if (isWeakSecret(env.SECRET_KEY))
    return [
      'SECRET_KEY: too weak for production (a repeated pattern or a placeholder); generate one with `openssl rand -base64 48`',
    ]
  return []
}

export function secretConfig(env: SecretEnv) {
  return {
    secretKey: env.SECRET_KEY ?? randomBytes(32).toString('base64url'),
    secretKeyGenerated: env.SECRET_KEY === undefined,
  }
}
