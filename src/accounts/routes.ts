import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import { BEARER_SECURITY, bearer } from '../http/bearer.js'
import { errors, SendOtpBody, SendOtpResponse, UserSchema, VerifyOtpBody } from '../http/schemas.js'
import { codeRequest, sentAnswer } from '../routes/auth.js'
import type { Bearer } from '../tokens/access.js'
import { CodeBody, CodeRequestBody, EndAllBody, SessionsResponse } from './schemas.js'
import type { AccountService } from './service.js'

const security = BEARER_SECURITY
/** A code to delete an account must have been sent within the last 5 minutes (issue 30). */
const DELETION_CODE_SECONDS = 300

/**
 * The signed-in user's account: sessions (`/users/me/sessions`, `/auth/logout-all`), a new number
 * (`/users/me/phone`), deletion (`/users/me/delete/send-otp`, `DELETE /users/me`). Proving a number takes a
 * code, sent and checked by OtpService with the limits, abuse checks and texts of a sign-in.
 */
export const accountRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountService }> = async (
  app,
  { accounts },
) => {
  const { otp, sessions } = app
  // Who asks is settled before the body is looked at: a request without a valid token is told 401, not
  // what its body lacks. A body that is all optional may be left out.
  const callers = new WeakMap<FastifyRequest, Bearer>()
  app.addHook('preValidation', async (request) => {
    await app.abuse.limitIp('account', request.ip)
    callers.set(request, await bearer(request))
    if (request.method !== 'GET') request.body ??= {}
  })
  const caller = (request: FastifyRequest) => callers.get(request) as Bearer

  app.get(
    '/users/me/sessions',
    {
      schema: {
        tags: ['account'],
        summary: "The user's sessions (devices), the current one marked",
        security,
        response: { 200: SessionsResponse, ...errors(401, 429) },
      },
    },
    async (request) => ({ sessions: await accounts.sessions(caller(request)) }),
  )

  app.delete(
    '/users/me/sessions/:id',
    {
      schema: {
        tags: ['account'],
        summary: 'End one session: its refresh token stops working at once',
        security,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: Type.Null(), ...errors(401, 404, 429) },
      },
    },
    async (request, reply) => {
      await accounts.endSession(caller(request), request.params.id)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/auth/logout-all',
    {
      schema: {
        tags: ['account'],
        summary: 'Sign out everywhere: end every session, or every one but the current',
        security,
        body: EndAllBody,
        response: { 200: Type.Object({ ended: Type.Integer() }), ...errors(401, 422, 429) },
      },
    },
    async (request) => ({
      ended: await accounts.endAll(caller(request), request.body.keep_current ?? false),
    }),
  )

  app.post(
    '/users/me/phone',
    {
      config: { otpStage: 'send' },
      schema: {
        tags: ['account'],
        summary: 'Change the phone number, step 1: a code to the new number',
        security,
        body: SendOtpBody,
        response: { 200: SendOtpResponse, ...errors(400, 401, 409, 422, 429, 503) },
      },
    },
    async (request) => {
      const user = await accounts.user(caller(request))
      const { phone } = request.body
      await accounts.checkNewPhone(user, otp.parsePhone(phone).e164)
      return sentAnswer(await otp.send(codeRequest(request, phone, request.body)))
    },
  )

  app.post(
    '/users/me/phone/verify',
    {
      config: { otpStage: 'verify' },
      schema: {
        tags: ['account'],
        summary: 'Change the phone number, step 2: the code moves the account and ends every other session',
        security,
        body: Type.Pick(VerifyOtpBody, ['phone', 'code']),
        response: { 200: UserSchema, ...errors(400, 401, 409, 422, 429) },
      },
    },
    async (request) => {
      const who = caller(request)
      await otp.verify(request.body.phone, request.body.code, request.ip, (phone) =>
        accounts.changePhone(who, phone),
      )
      return await sessions.publicUser(await accounts.user(who), who.role)
    },
  )

  app.post(
    '/users/me/delete/send-otp',
    {
      config: { otpStage: 'send' },
      schema: {
        tags: ['account'],
        summary: "Delete the account, step 1: a code to the account's number",
        security,
        body: CodeRequestBody,
        response: { 200: SendOtpResponse, ...errors(400, 401, 422, 429, 503) },
      },
    },
    async (request) => {
      const user = await accounts.user(caller(request))
      // The code must be from the last 5 minutes, however long sign-in codes live.
      const code = { ...codeRequest(request, user.phone, request.body), ttlSeconds: DELETION_CODE_SECONDS }
      return sentAnswer(await otp.send(code))
    },
  )

  app.delete(
    '/users/me',
    {
      config: { otpStage: 'verify' },
      schema: {
        tags: ['account'],
        summary: 'Delete the account, step 2: with the code, the user, sessions and passkeys go',
        security,
        body: CodeBody,
        response: { 204: Type.Null(), ...errors(400, 401, 422, 429) },
      },
    },
    async (request, reply) => {
      const user = await accounts.user(caller(request))
      await otp.verify(user.phone, request.body.code, request.ip, () => accounts.delete(user))
      return reply.status(204).send(null)
    },
  )
}
