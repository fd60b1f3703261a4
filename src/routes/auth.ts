import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { Static } from 'typebox'
import Type from 'typebox'
import type { App } from '../db/schema.js'
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
import type { CodeRequest, SentCode } from '../otp/service.js'
import { requestCountry, requestDevice } from '../sessions/device.js'

/** What a request for a code asks (send-otp's body, or the account's own requests: a new number, deletion). */
export function codeRequest(
  request: FastifyRequest,
  phone: string,
  body: Omit<Static<typeof SendOtpBody>, 'phone' | 'app'> & { app?: App | undefined },
): CodeRequest {
  return {
    phone,
    ip: request.ip,
    lang: requestLanguage(request, request.server.config.defaultLanguage),
    captchaToken: body.captcha_token,
    recipient: { client: body.client, app: body.app },
    channel: body.channel,
  }
}

/** The answer to a request for a code (send-otp, and the account's own: a new number, deletion). */
export function sentAnswer(sent: SentCode) {
  return {
    message: sent.message,
    phone: sent.phone,
    expires_in: sent.expiresIn,
    channel: sent.channel,
    ...(sent.code !== undefined ? { otp_code: sent.code } : {}),
  }
}

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
      return sentAnswer(await otp.send(codeRequest(request, request.body.phone, request.body)))
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
        response: { 200: SignInResponse, ...errors(400, 403, 422, 429, 503) },
      },
    },
    async (request) => {
      const app = request.body.app ?? 'passenger'
      const { session, user, isNew } = await otp.verify(
        request.body.phone,
        request.body.code,
        request.ip,
        (phone) => sessions.signIn(phone, app, requestDevice(request, request.body.device_name)),
      )
      return { ...session, user: await sessions.publicUser(user, app), is_new_user: isNew }
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
      const country = requestCountry(request.headers, config.countryHeader)
      return await sessions.refresh(request.body.refresh_token, country)
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
