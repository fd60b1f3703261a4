import { type ServerResponse, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import { ERROR_STATUS, type ErrorCode } from '../errors.js'
import { errorBody } from './errors.js'

// Node's errors for a request it could not parse or finish, onto our codes; every other parser error
// (malformed chunked body, conflicting Content-Length and Transfer-Encoding, NUL in a header) is a 400.
const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
}

/** The raw HTTP/1.1 answer to a request Node rejected before the router saw it: our `{"detail", "code"}`. */
export function clientErrorResponse(code: ErrorCode, config: Config): string {
  const status = ERROR_STATUS[code]
  const body = JSON.stringify(errorBody(code, config.defaultLanguage))
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n')
}

/**
 * Fastify's `clientErrorHandler`: answers what Node's parser or its request timeout rejects with our body
 * instead of Fastify's, then closes the connection (the stream cannot be trusted any more). Logged at debug:
 * a scanner would otherwise fill the log.
 */
function onClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code = CLIENT_ERROR_CODES[err.code ?? ''] ?? 'BAD_REQUEST'
  this.log.debug({ reason: err.code ?? err.message }, `client error: ${code}`)
  // A response already under way (Node's private link from socket to response) must not get a second one.
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (socket.writable && !current?.headersSent) socket.write(clientErrorResponse(code, this.config))
  socket.destroy()
}

/** Fastify's server options against slow and malformed clients. */
export function clientLimits(config: Config) {
  return {
    requestTimeout: config.requestTimeoutMs,
    http: {
      // Node checks request timeouts on a timer, every 30 s by default: a 15 s limit would cut at 15 to 45 s.
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
      // Node (20) cuts nothing before headersTimeout (60 s) when that is the longer of the two.
      headersTimeout: Math.min(60_000, config.requestTimeoutMs),
    },
    clientErrorHandler: onClientError,
  }
}
