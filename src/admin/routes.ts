import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import Type from 'typebox'
import { SMS_STATUSES } from '../db/schema.js'
import { AppError } from '../errors.js'
import { errors } from '../http/schemas.js'
import { adminGate, adminOnly } from './auth.js'
import { BillingResponse } from './billing-schemas.js'
import { EskizTextsResponse } from './eskiz.js'
import {
  AbuseQuery,
  AbuseResponse,
  BlockParams,
  InfoResponse,
  LogsQuery,
  LogsResponse,
  RangeQuery,
  UsageResponse,
} from './schemas.js'
import type { AdminService } from './service.js'

export interface AdminRoutesOptions {
  service: AdminService
  /** Counts wrong tokens per IP; null when the console is disabled. */
  failures: RateLimiterAbstract | null
}

/** The JSON admin API under /api/v1/admin: read-only reports for the console, behind ADMIN_TOKEN. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (
  app,
  { service, failures },
) => {
  const { config } = app
  const { tags, security, denied } = adminOnly(app, adminGate(config.admin?.token ?? null, failures))

  app.get(
    '/info',
    {
      schema: {
        tags,
        security,
        summary: 'Checks the token; the time zone and the choices for the filters',
        response: { 200: InfoResponse, ...denied },
      },
    },
    async () => {
      const providers = new Set([...app.sms.providerNames, ...(await service.providersSeen())])
      return {
        time_zone: service.timeZone,
        providers: [...providers].sort(),
        statuses: [...SMS_STATUSES],
        dev_mode: config.devMode,
      }
    },
  )

  app.get(
    '/logs',
    {
      schema: {
        tags,
        security,
        summary: 'The SMS log: messages newest first with their attempts; keyset pagination',
        querystring: LogsQuery,
        response: { 200: LogsResponse, ...denied, ...errors(422) },
      },
    },
    async (request) => await service.logs(request.query),
  )

  app.get(
    '/usage',
    {
      schema: {
        tags,
        security,
        summary: 'Messages per day by status and provider, delivery and verification success rates',
        querystring: RangeQuery,
        response: { 200: UsageResponse, ...denied, ...errors(422) },
      },
    },
    async (request) => await service.usage(request.query.from, request.query.to),
  )

  app.get(
    '/billing',
    {
      schema: {
        tags,
        security,
        summary: 'Cost per day, country and provider; month to date and projected; provider balances',
        querystring: RangeQuery,
        response: { 200: BillingResponse, ...denied, ...errors(422) },
      },
    },
    async (request) => await service.billing(request.query.from, request.query.to),
  )

  app.get(
    '/billing/eskiz',
    {
      schema: {
        tags,
        security,
        summary:
          "Asks Eskiz whether every text is an approved service template; its prices per operator; the balance's days left",
        response: { 200: EskizTextsResponse, ...denied },
      },
    },
    async () => await service.eskizTexts(),
  )

  app.get(
    '/abuse',
    {
      schema: {
        tags,
        security,
        summary: 'Numbers and IPs rate-limited now; top sending IPs and number prefixes',
        querystring: AbuseQuery,
        response: { 200: AbuseResponse, ...denied, ...errors(422) },
      },
    },
    async (request) => await service.abuse(request.query.hours),
  )

  app.delete(
    '/blocks/:prefix',
    {
      schema: {
        tags,
        security,
        summary:
          'Lifts the block of a number prefix (kept as history; the detector leaves it alone for a window)',
        params: BlockParams,
        response: { 204: Type.Null({ description: 'Unblocked' }), ...denied, ...errors(422) },
      },
    },
    async (request, reply) => {
      if (!(await service.unblock(request.params.prefix))) throw new AppError('BLOCK_NOT_FOUND')
      app.abuse.blocks.changed()
      request.log.info(
        { prefix: request.params.prefix },
        `🔓 Prefix ${request.params.prefix} unblocked from the admin console`,
      )
      return reply.status(204).send(null)
    },
  )
}
