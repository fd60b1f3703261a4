import type { FastifyInstance } from 'fastify'

/**
 * Lets `app.close()` finish as soon as the in-flight requests have: a response sent after closing began
 * carries `Connection: close`, so its keep-alive connection ends with it. Without this, server.close() waits
 * for every kept-alive client connection to time out (Fastify's keepAliveTimeout is 72 s), far past any grace
 * period, and the process is killed with requests' successors still queued on those sockets.
 */
export function registerGracefulClose(app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  // A callback hook, not an async one: it runs on every answer, and an async hook costs a promise each time.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close')
    done(null, payload)
  })
}
