import type { FastifyRequest } from 'fastify'
import { bearerToken } from '../crypto.js'
import { AppError } from '../errors.js'
import type { Bearer } from '../tokens/access.js'

/**
 * Who the request's access token names (`Authorization: Bearer <token>`): 401 UNAUTHORIZED without one,
 * TOKEN_INVALID or TOKEN_EXPIRED for a bad one.
 */
export async function bearer(request: FastifyRequest): Promise<Bearer> {
  const token = bearerToken(request.headers.authorization)
  if (!token) throw new AppError('UNAUTHORIZED')
  return await request.server.sessions.authenticate(token)
}

/** The OpenAPI security requirement of a route that takes an access token. */
export const BEARER_SECURITY = [{ bearerAuth: [] }]
