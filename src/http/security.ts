import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'

/**
 * Security headers (helmet's defaults: HSTS, nosniff, frame-ancestors 'none' via CSP, no referrer, …), CORS
 * only for the origins CORS_ORIGINS names, and `Cache-Control: no-store` on the API: responses carry codes
 * and tokens that no proxy or browser cache may keep (RFC 6749 §5.1).
 */
export async function registerSecurity(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(helmet, {
    global: true,
    // TLS ends at the proxy, and /docs is also opened over plain http in development, where upgrading its
    // script requests to https would break the page. HSTS does the upgrading where TLS exists.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  })
  const { origins } = config.cors
  if (origins !== null)
    await app.register(cors, {
      origin: origins === '*' ? '*' : origins,
      methods: ['GET', 'POST', 'PATCH'],
      allowedHeaders: ['Content-Type', 'Authorization', 'Accept-Language'],
      exposedHeaders: ['Retry-After'],
      maxAge: 600,
    })
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/')) void reply.header('Cache-Control', 'no-store')
  })
}
