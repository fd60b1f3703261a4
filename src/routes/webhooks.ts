import formbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import { secretEquals } from '../crypto.js'
import { AppError } from '../errors.js'
import { errors } from '../http/schemas.js'
import type { Receipt } from '../sms/receipts.js'
import { validTwilioSignature } from '../sms/twilio.js'

// Delivery receipts from the gateways. Their bodies are the gateways' own formats, so they are read loosely
// (any fields, form or JSON) rather than with the API's strict schemas; what they may change is narrow: one
// SMS-log row's status, times and cost.

const AnyBody = Type.Object({}, { additionalProperties: true })
const TokenQuery = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: true },
)
const Ack = Type.Object({ ok: Type.Boolean() }, { additionalProperties: false })
const response = { 200: Ack, ...errors(403, 413, 415) }

function tokenMatches(given: string | undefined, expected: string | null): boolean {
  return Boolean(given && expected && secretEquals(given, expected))
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined

function price(amount: unknown, currency: string): Receipt['price'] {
  const n = Number(amount)
  return amount !== undefined && amount !== null && amount !== '' && Number.isFinite(n)
    ? { amount: n, currency }
    : null
}

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, receipts } = app
  // Twilio posts application/x-www-form-urlencoded. The parser is registered in this plugin only, so the
  // API's JSON routes still answer form bodies with 415.
  await app.register(formbody)

  /** Options of a route whose gateway signs nothing: the secret token in the URL is checked first. */
  const tokenRoute = (summary: string) => ({
    schema: { tags: ['webhooks'], summary, querystring: TokenQuery, body: AnyBody, response },
    preHandler: async (request: FastifyRequest) => {
      const { token } = request.query as { token?: string }
      if (!tokenMatches(token, config.webhooks.token)) throw new AppError('WEBHOOK_FORBIDDEN')
    },
  })

  app.post(
    '/twilio/status',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Twilio delivery status callback (signed with X-Twilio-Signature)',
        body: AnyBody,
        response,
      },
    },
    async (request) => {
      const authToken = config.sms.twilio?.authToken
      const base = config.webhooks.publicBaseUrl
      const signature = request.headers['x-twilio-signature']
      const params = request.body as Record<string, string>
      // Twilio signs the URL it called (our public one) plus the sorted form parameters.
      if (
        !authToken ||
        !base ||
        typeof signature !== 'string' ||
        !validTwilioSignature(authToken, signature, `${base}${request.url}`, params)
      )
        throw new AppError('WEBHOOK_FORBIDDEN')
      const status = str(params.MessageStatus) ?? str(params.SmsStatus)
      const sid = str(params.MessageSid) ?? str(params.SmsSid)
      if (status && sid)
        await receipts.record({
          provider: 'twilio',
          providerMessageId: sid,
          rawStatus: status,
          errorCode: str(params.ErrorCode) ?? null,
          price: price(params.Price, str(params.PriceUnit) ?? 'USD'),
        })
      return { ok: true }
    },
  )

  app.post(
    '/eskiz/status',
    tokenRoute('Eskiz delivery status callback (?token=WEBHOOK_TOKEN)'),
    async (request) => {
      const body = request.body as Record<string, unknown>
      const status = str(body.status)
      if (status)
        await receipts.record({
          provider: 'eskiz',
          logId: str(body.user_sms_id),
          providerMessageId: str(body.request_id),
          rawStatus: status,
          price: price(body.total_price, 'UZS'),
        })
      return { ok: true }
    },
  )

  app.post(
    '/playmobile/status',
    tokenRoute('Playmobile delivery report (?token=WEBHOOK_TOKEN)'),
    async (request) => {
      const body = request.body as Record<string, unknown>
      // One report or a batch: {"messages": [{"message-id", "status", …}, …]}.
      const reports = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [body]
      for (const report of reports.slice(0, 100)) {
        const status = str(report?.status)
        const id = str(report?.['message-id']) ?? str(report?.message_id)
        if (status && id)
          await receipts.record({
            provider: 'playmobile',
            logId: id,
            rawStatus: status,
            errorCode: str(report['error-code']) ?? null,
          })
      }
      return { ok: true }
    },
  )
}
