import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** The OpenAPI document of every route registered after this plugin, at /openapi.json and /docs. */
export const docsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Royal Taxi sign-in API',
          version: '1.0.0',
          description: 'Sign in with a phone number and a one-time SMS code. Errors: `{"detail", "code"}`.',
        },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            adminToken: {
              type: 'http',
              scheme: 'bearer',
              description: 'The ADMIN_TOKEN setting. Unset: every admin route answers 404 ADMIN_DISABLED.',
            },
          },
        },
        tags: [
          {
            name: 'admin',
            description:
              'Reports for the admin console (/admin): SMS log, usage, costs, abuse. Bearer ADMIN_TOKEN; times in UTC, days in ADMIN_TIMEZONE.',
          },
        ],
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'docs' },
)
