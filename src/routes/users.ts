import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../errors.js'
import { BEARER_SECURITY, bearer } from '../http/bearer.js'
import { errors, UpdateUserBody, UserSchema } from '../http/schemas.js'

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sessions } = app

  const security = BEARER_SECURITY

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
      const { userId, role } = await bearer(request)
      const user = await sessions.getUser(userId)
      if (!user) throw new AppError('TOKEN_INVALID')
      return await sessions.publicUser(user, role)
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
      const { userId, role } = await bearer(request)
      const user = await sessions.updateUser(userId, { full_name: fullName })
      if (!user) throw new AppError('TOKEN_INVALID')
      return await sessions.publicUser(user, role)
    },
  )
}
