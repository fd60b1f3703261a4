import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import { bearerToken, secretEquals } from '../crypto.js'
import { AppError } from '../errors.js'
import { errors } from '../http/schemas.js'
import { consumeOrThrow } from '../limits/index.js'

/** Wrong tokens an IP may try per window before every admin request from it gets 429. */
export const ADMIN_AUTH_FAILURES = { points: 10, durationSeconds: 15 * 60 }

/**
 * The admin API's gate: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (both sides hashed
 * first, so not even the length leaks). Wrong tokens are counted per IP; past the limit even the right token is
 * refused until the window ends, so guessing stays bounded.
 */
export function adminGate(token: string | null, failures: RateLimiterAbstract | null) {
  return async (request: FastifyRequest): Promise<void> => {
    if (token === null || failures === null) throw new AppError('ADMIN_DISABLED')
    const given = bearerToken(request.headers.authorization)
    if (!given) throw new AppError('UNAUTHORIZED')
    const seen = await failures.get(request.ip).catch((err) => {
      throw new AppError('SERVICE_UNAVAILABLE', {}, {}, 5, err)
    })
    if (seen && seen.consumedPoints >= ADMIN_AUTH_FAILURES.points) {
      const seconds = Math.max(1, Math.ceil(seen.msBeforeNext / 1000))
      throw new AppError('RATE_LIMITED', { seconds }, { retry_after: seconds }, seconds)
    }
    if (secretEquals(given, token)) return
    await consumeOrThrow(failures, request.ip, 'RATE_LIMITED')
    throw new AppError('ADMIN_TOKEN_INVALID')
  }
}

/**
 * Puts the routes of an admin API plugin (not wrapped in fastify-plugin, so only its own routes) behind the
 * gate, and answers what their OpenAPI schemas share. Their answers name numbers and IPs: never kept by a
 * browser or a proxy.
 */
export function adminOnly(app: Pick<FastifyInstance, 'addHook'>, gate: ReturnType<typeof adminGate>) {
  app.addHook('onRequest', gate)
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('Cache-Control', 'no-store')
  })
  return { tags: ['admin'], security: [{ adminToken: [] }], denied: errors(401, 404, 429) }
}
