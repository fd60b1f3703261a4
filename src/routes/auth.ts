import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requestLanguage } from '../http/language.js'
import {
  errors,
  RefreshBody,
  SendOtpBody,
  SendOtpResponse,
  SessionResponse,
  SignInResponse,
  VerifyOtpBody,
} from '../http/schemas.js'
import { publicUser } from '../sessions/service.js'

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { otp, sessions, config } = app

  app.post(
    '/send-otp',
    {
      config: { otpStage: 'send' },
      schema: {
        tags: ['auth'],
        summary: 'Send a one-time code by SMS',
        body: SendOtpBody,
        response: { 200: SendOtpResponse, ...errors(400, 413, 415, 422, 429, 503) },
      },
    },
    async (request) => {
      const sent = await otp.send(
        request.body.phone,
        request.ip,
        requestLanguage(request, config.defaultLanguage),
        request.body.captcha_token,
      )
      return {
        message: sent.message,
        phone: sent.phone,
        expires_in: sent.expiresIn,
        ...(sent.code !== undefined ? { otp_code: sent.code } : {}),
      }
    },
  )

  app.post(
    '/verify-otp',
    {
      config: { otpStage: 'verify' },
      schema: {
        tags: ['auth'],
        summary: 'Check the code and open a session; the first success creates the user',
        body: VerifyOtpBody,
        response: { 200: SignInResponse, ...errors(400, 422, 429, 503) },
      },
    },
    async (request) => {
      const { session, user, isNew } = await otp.verify(
        request.body.phone,
        request.body.code,
        request.ip,
        (phone) => sessions.signIn(phone),
      )
      return { ...session, user: publicUser(user), is_new_user: isNew }
    },
  )

  app.post(
    '/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new pair (the old one stops working)',
        body: RefreshBody,
        response: { 200: SessionResponse, ...errors(401, 422, 429, 503) },
      },
    },
    async (request) => {
      await app.abuse.limitIp('refresh', request.ip)
      return await sessions.refresh(request.body.refresh_token)
    },
  )

  app.post(
    '/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the session of a refresh token',
        body: RefreshBody,
        response: { 204: Type.Null({ description: 'Signed out' }), ...errors(422) },
      },
    },
    async (request, reply) => {
      await sessions.logout(request.body.refresh_token)
      return reply.status(204).send(null)
    },
  )
}
