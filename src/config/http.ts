import type { Static, TObject } from 'typebox'
import { int } from '../settings.js'

/** Limits of the HTTP server against slow clients. */
export const HTTP_SETTINGS = {
  REQUEST_TIMEOUT_MS: int(
    15000,
    1000,
    600000,
    'milliseconds a client has to send a whole request (headers and body) before it is cut with 408',
  ),
}

export const httpConfig = (env: Static<TObject<typeof HTTP_SETTINGS>>) => ({
  requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
})
