import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ping } from '../db/index.js'
import { errorBody } from './errors.js'
import { requestLanguage } from './language.js'
import { ErrorBody } from './schemas.js'

const Checks = Type.Object({
  database: Type.String(),
  redis: Type.String(),
  /** Each gateway checked at start (`ok` or `failed`); absent when none was checked. */
  gateways: Type.Optional(Type.Record(Type.String(), Type.String())),
})

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/ready',
    {
      schema: {
        tags: ['health'],
        summary:
          'The database and Redis (when configured) answer; degraded: a gateway failed its start-up check',
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('ready'), Type.Literal('degraded')]),
            checks: Checks,
            /** The gateways that refused their credentials at start. */
            degraded: Type.Optional(Type.Array(Type.String())),
          }),
          503: Type.Intersect([ErrorBody, Type.Object({ checks: Checks })]),
        },
      },
    },
    async (request, reply) => {
      const { db, redis } = app.storage
      const [database, cache] = await Promise.allSettled([
        ping(db.db),
        redis ? redis.ping() : Promise.resolve('disabled'),
      ])
      const gateways = app.gatewayChecks
      const checks = {
        database: database.status === 'fulfilled' ? 'ok' : 'unavailable',
        redis:
          cache.status === 'fulfilled' ? (cache.value === 'disabled' ? 'disabled' : 'ok') : 'unavailable',
        ...(Object.keys(gateways).length > 0 ? { gateways } : {}),
      }
      // A gateway that refused its credentials still answers 200: the other gateways keep sign-in working, and
      // a 503 would have the load balancer take every instance (which share those credentials) out of service.
      const degraded = Object.keys(gateways).filter((name) => gateways[name] === 'failed')
      if (checks.database === 'ok' && checks.redis !== 'unavailable')
        return degraded.length > 0
          ? { status: 'degraded' as const, checks, degraded }
          : { status: 'ready' as const, checks }
      return reply
        .status(503)
        .send({ ...errorBody('NOT_READY', requestLanguage(request, app.config.defaultLanguage)), checks })
    },
  )
}
