import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { bearerToken } from '../crypto.js'
import { AppError } from '../errors.js'
import { errors, UpdateUserBody, UserSchema } from '../http/schemas.js'
import { publicUser } from '../sessions/service.js'

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sessions } = app

  async function currentUserId(request: FastifyRequest): Promise<number> {
    const token = bearerToken(request.headers.authorization)
    if (!token) throw new AppError('UNAUTHORIZED')
    return await sessions.authenticate(token)
  }

  const security = [{ bearerAuth: [] }]

  app.get(
    '/me',
    {
      schema: {
        tags: ['users'],
        summary: 'The signed-in user',
        security,
        response: { 200: UserSchema, ...errors(401) },
      },
    },
    async (request) => {
      const user = await sessions.getUser(await currentUserId(request))
      if (!user) throw new AppError('TOKEN_INVALID')
      return publicUser(user)
    },
  )

  app.patch(
    '/me',
    {
      schema: {
        tags: ['users'],
        summary: "Update the signed-in user's name",
        security,
        body: UpdateUserBody,
        response: { 200: UserSchema, ...errors(401, 422) },
      },
    },
    async (request) => {
      const fullName = request.body.full_name?.trim() || null
      const user = await sessions.updateUser(await currentUserId(request), { full_name: fullName })
      if (!user) throw new AppError('TOKEN_INVALID')
      return publicUser(user)
    },
  )
}
