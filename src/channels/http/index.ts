import { connector } from '../connector.js'
import { noLiveCheck } from '../doctor.js'
import { HttpGatewayProvider } from './provider.js'
import { HTTP_SMS_SETTINGS, httpSmsProblems, httpSmsSettings } from './settings.js'

/** A generic signed-JSON gateway, for services without a connector of their own. It reports no receipts. */
export const http = connector({
  name: 'http',
  label: 'HTTP gateway',
  prefix: 'HTTP_SMS_',
  countries: '*',
  settings: HTTP_SMS_SETTINGS,
  secrets: ['HTTP_SMS_SECRET'],
  enabled: (env) => env.HTTP_SMS_URL !== undefined,
  problems: httpSmsProblems,
  configure: httpSmsSettings,
  start: (settings, timeoutMs) => ({
    provider: new HttpGatewayProvider(settings, timeoutMs),
    logLine: `✅ HTTP SMS gateway initialized (${new URL(settings.url).origin})`,
  }),
  doctor: {
    switchedOn: (raw) => raw.HTTP_SMS_URL !== undefined && raw.HTTP_SMS_URL !== '',
    switchOff: (raw) => {
      delete raw.HTTP_SMS_URL
    },
    fixes: {
      HTTP_SMS_URL: 'set HTTP_SMS_URL to your gateway endpoint (http:// or https://), or remove it',
      HTTP_SMS_SECRET: 'set HTTP_SMS_SECRET to the secret your gateway checks the request signature with',
    },
    wellFormed: (h) => [
      {
        section: 'HTTP gateway',
        status: 'ok',
        message: `configured: ${new URL(h.url).origin}, signing secret set`,
      },
    ],
    live: async () => [noLiveCheck('HTTP gateway', 'http')],
  },
})
