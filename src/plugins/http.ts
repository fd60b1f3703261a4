import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { registerErrorHandlers } from '../http/errors.js'
import { registerGracefulClose } from '../http/graceful.js'
import { registerSecurity } from '../http/security.js'
import { registerValidators } from '../http/validation.js'
import { loggableUrl } from '../logger.js'

/**
 * What every route shares: strict body validation, the one error handler (`{"detail", "code"}` in the
 * request's language), security headers, graceful close and one log line per request.
 */
export const httpPlugin = fp(
  async (app: FastifyInstance, { config }: { config: Config }) => {
    // Fastify's own two lines per request ("incoming request", "request completed") are off in buildApp;
    // this one line carries what operators read. It holds only fields made here, the URL's secrets already
    // masked, so it skips the logger's redaction pass: its wildcard paths cost about 20 µs a line, a twentieth
    // of a refresh's CPU (docs/SCALING.md).
    const requestLines = app.log.child({}, { redact: { paths: [] } })
    app.addHook('onResponse', (request, reply, done) => {
      requestLines.info(
        {
          reqId: request.id,
          method: request.method,
          url: loggableUrl(request.url),
          statusCode: reply.statusCode,
          responseTime: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request completed',
      )
      done()
    })
    // The API speaks JSON only; Fastify would otherwise accept text/plain bodies and fail them as wrong types.
    app.removeContentTypeParser('text/plain')
    registerValidators(app)
    registerErrorHandlers(app, config.defaultLanguage)
    await registerSecurity(app, config)
    registerGracefulClose(app)
  },
  { name: 'http' },
)
