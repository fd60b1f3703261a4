import formbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import type { ReceiptEndpoint, ReceiptLinks } from '../channels/connector.js'
import { CONNECTORS } from '../channels/index.js'
import { secretEquals } from '../crypto.js'
import { AppError } from '../errors.js'
import { errors } from '../http/schemas.js'

// Delivery receipts from the gateways: POST /<connector>/status for each connector that reports them. Their
// bodies are the gateways' own formats, so they are read loosely (any fields, form or JSON) rather than with
// the API's strict schemas; what they may change is narrow: one SMS-log row's status, times and cost.

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

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, receipts } = app
  const links: ReceiptLinks = {
    publicBaseUrl: config.webhooks.publicBaseUrl,
    webhookToken: config.webhooks.token,
  }
  // Twilio posts application/x-www-form-urlencoded. The parser is registered in this plugin only, so the
  // API's JSON routes still answer form bodies with 415.
  await app.register(formbody)
  // Telegram signs the exact bytes of its JSON body: they are kept for `verify`, then parsed as usual (with
  // Fastify's own parser and its defences), in this plugin only.
  const rawBodies = new WeakMap<FastifyRequest, string>()
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, raw, done) => {
    rawBodies.set(request, raw as string)
    parseJson(request, raw as string, done)
  })

  for (const connector of CONNECTORS) {
    const endpoint = connector.receipts as ReceiptEndpoint<unknown> | undefined
    if (!endpoint) continue
    const settings = config.sms[connector.name]
    const signed = endpoint.verify
    app.post(
      `/${connector.name}/status`,
      {
        schema: signed
          ? { tags: ['webhooks'], summary: endpoint.summary, body: AnyBody, response }
          : {
              tags: ['webhooks'],
              summary: endpoint.summary,
              querystring: TokenQuery,
              body: AnyBody,
              response,
            },
        // A gateway that signs nothing carries the secret token in the URL: it is checked before the body.
        ...(signed
          ? {}
          : {
              preHandler: async (request: FastifyRequest) => {
                const { token } = request.query as { token?: string }
                if (!tokenMatches(token, links.webhookToken)) throw new AppError('WEBHOOK_FORBIDDEN')
              },
            }),
      },
      async (request) => {
        const body = request.body as Record<string, unknown>
        const rawBody = rawBodies.get(request)
        if (signed && !signed(settings, { url: request.url, headers: request.headers, body, rawBody }, links))
          throw new AppError('WEBHOOK_FORBIDDEN')
        for (const receipt of endpoint.parse(body))
          await receipts.record({ provider: connector.name, ...receipt })
        return { ok: true }
      },
    )
  }
}
