import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import { AppError } from '../errors.js'
import { BEARER_SECURITY, bearer } from '../http/bearer.js'
import { errors, SignInResponse } from '../http/schemas.js'
import { requestDevice } from '../sessions/device.js'
import type { Passkey } from '../stores/passkeys/index.js'
import {
  PasskeyList,
  PasskeyOut,
  PasskeyParams,
  RegisterVerifyBody,
  RegistrationOptions,
  SignInOptions,
  SignInVerifyBody,
} from './schemas.js'

// The bodies' WebAuthn objects are checked for shape and size; values such as a transport's name are left
// for the library to judge, so a browser that knows a newer one is not refused here: hence the casts below.
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString())
const out = (p: Passkey) => ({
  id: p.id,
  name: p.name,
  created_at: iso(p.created_at) as string,
  last_used_at: iso(p.last_used_at),
  synced: Number(p.backed_up) === 1,
})

/**
 * The passkey endpoints: the signed-in user's passkeys under /api/v1/passkeys, and sign-in with one under
 * /api/v1/auth/passkey. Every one counts against PASSKEY_IP_LIMIT_PER_MINUTE before anything else is read.
 */
export const passkeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sessions } = app
  const service = () => {
    if (!app.passkeys) throw new AppError('PASSKEYS_DISABLED')
    return app.passkeys
  }
  app.addHook('onRequest', async (request) => {
    service()
    await app.abuse.limitIp('passkey', request.ip)
  })
  const signedIn = async (request: FastifyRequest) => {
    const { userId } = await bearer(request)
    const user = await sessions.getUser(userId)
    if (!user) throw new AppError('TOKEN_INVALID')
    return user
  }
  const mine = { tags: ['passkeys'], security: BEARER_SECURITY }

  app.post(
    '/api/v1/passkeys/register/options',
    {
      schema: {
        ...mine,
        summary: 'Options to create a passkey for the signed-in user (navigator.credentials.create)',
        response: { 200: RegistrationOptions, ...errors(401, 404, 429, 503) },
      },
    },
    async (request) => await service().registrationOptions(await signedIn(request)),
  )

  app.post(
    '/api/v1/passkeys/register/verify',
    {
      schema: {
        ...mine,
        summary: 'Check the new passkey and keep it',
        body: RegisterVerifyBody,
        response: { 201: PasskeyOut, ...errors(400, 401, 404, 409, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = await bearer(request)
      const { credential, name } = request.body
      const passkey = await service().register(
        userId,
        credential as RegistrationResponseJSON,
        name,
        requestDevice(request),
      )
      return reply.status(201).send(out(passkey))
    },
  )

  app.get(
    '/api/v1/passkeys',
    {
      schema: {
        ...mine,
        summary: "The signed-in user's passkeys, newest first",
        response: { 200: PasskeyList, ...errors(401, 404, 429, 503) },
      },
    },
    async (request) => {
      const { userId } = await bearer(request)
      return { passkeys: (await service().list(userId)).map(out) }
    },
  )

  app.delete(
    '/api/v1/passkeys/:id',
    {
      schema: {
        ...mine,
        summary: "Delete one of the signed-in user's passkeys (404 for anyone else's)",
        params: PasskeyParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errors(401, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = await bearer(request)
      await service().remove(userId, request.params.id)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/v1/auth/passkey/options',
    {
      schema: {
        tags: ['auth'],
        summary: 'Options to sign in with a passkey, no phone number asked (navigator.credentials.get)',
        response: { 200: SignInOptions, ...errors(404, 429, 503) },
      },
    },
    async () => await service().signInOptions(),
  )

  app.post(
    '/api/v1/auth/passkey/verify',
    {
      schema: {
        tags: ['auth'],
        summary: 'Check the passkey and open a session, as verify-otp does: no SMS',
        body: SignInVerifyBody,
        response: { 200: SignInResponse, ...errors(400, 403, 404, 422, 429, 503) },
      },
    },
    async (request) => {
      const { credential, device_name } = request.body
      const role = request.body.app ?? 'passenger'
      const { session, user, isNew } = await service().signIn(
        credential as AuthenticationResponseJSON,
        role,
        requestDevice(request, device_name),
      )
      return { ...session, user: await sessions.publicUser(user, role), is_new_user: isNew }
    },
  )
}
