import Type, { type Static, type TObject } from 'typebox'
import { int } from '../settings.js'

/** Limits of the HTTP server against slow clients. */
export const HTTP_SETTINGS = {
  REQUEST_TIMEOUT_MS: int(
    15000,
    1000,
    600000,
    'milliseconds a client has to send a whole request (headers and body) before it is cut with 408',
  ),
  // The service has no IP database of its own; the proxy in front of it usually knows the country
  // (Cloudflare's CF-IPCountry, nginx's GeoIP2 module). Only a proxy that sets the header on every request
  // may be trusted with it: a client could send it itself.
  COUNTRY_HEADER: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9-]{1,64}$',
      description:
        'the request header in which the proxy in front names the client country (ISO 3166 code), e.g. cf-ipcountry; shown with each session',
    }),
  ),
}

export const httpConfig = (env: Static<TObject<typeof HTTP_SETTINGS>>) => ({
  requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
  countryHeader: env.COUNTRY_HEADER?.toLowerCase() ?? null,
})
