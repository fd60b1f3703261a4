import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ping } from '../db/index.js'
import { errorBody } from './errors.js'
import { requestLanguage } from './language.js'
import { ErrorBody } from './schemas.js'

const Checks = Type.Object({ database: Type.String(), redis: Type.String() })

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
        summary: 'The database and Redis (when configured) answer',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Checks }),
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
      const checks = {
        database: database.status === 'fulfilled' ? 'ok' : 'unavailable',
        redis:
          cache.status === 'fulfilled' ? (cache.value === 'disabled' ? 'disabled' : 'ok') : 'unavailable',
      }
      if (checks.database === 'ok' && checks.redis !== 'unavailable')
        return { status: 'ready' as const, checks }
      return reply
        .status(503)
        .send({ ...errorBody('NOT_READY', requestLanguage(request, app.config.defaultLanguage)), checks })
    },
  )
}
