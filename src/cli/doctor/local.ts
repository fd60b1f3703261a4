import type { Config } from '../../config.js'
import { type Check, isTrue, type ProviderDoctor } from './types.js'

// Playmobile and the generic HTTP gateway have no read-only endpoint to try credentials on: the doctor checks
// their settings and says how to prove them with one real message.
const noLiveCheck = (label: string, name: string): Check => ({
  section: label,
  status: 'warn',
  message: `${label} has no read-only API to check the credentials against`,
  fix: `send one real message: royal-taxi sms test +998901234567 --provider ${name}`,
})

export const playmobileDoctor: ProviderDoctor = {
  name: 'playmobile',
  label: 'Playmobile',
  prefix: 'PLAYMOBILE_',
  // A broker for Uzbek operators only.
  countries: ['UZ'],
  switchedOn: (settings) => isTrue(settings.PLAYMOBILE_ENABLED),
  switchOff: (settings) => {
    settings.PLAYMOBILE_ENABLED = 'false'
  },
  fixes: {
    PLAYMOBILE_LOGIN: 'set PLAYMOBILE_LOGIN to the broker login from your Playmobile contract',
    PLAYMOBILE_PASSWORD: 'set PLAYMOBILE_PASSWORD to the broker password from your Playmobile contract',
    PLAYMOBILE_ORIGINATOR: 'set PLAYMOBILE_ORIGINATOR to the sender name Playmobile registered for you',
    PLAYMOBILE_API_BASE_URL: 'set PLAYMOBILE_API_BASE_URL to the broker URL from your contract',
    PLAYMOBILE_ENABLED: 'PLAYMOBILE_ENABLED=true or false',
  },
  enabled: (config) => config.sms.playmobile !== null,
  wellFormed(config: Config): Check[] {
    const p = config.sms.playmobile
    if (!p) return []
    return [
      {
        section: 'Playmobile',
        status: 'ok',
        message: `credentials are present: login ${p.login}, originator "${p.originator}", ${p.baseUrl}`,
      },
    ]
  },
  live: async (config) => (config.sms.playmobile ? [noLiveCheck('Playmobile', 'playmobile')] : []),
}

export const httpGatewayDoctor: ProviderDoctor = {
  name: 'http',
  label: 'HTTP gateway',
  prefix: 'HTTP_SMS_',
  countries: '*',
  switchedOn: (settings) => settings.HTTP_SMS_URL !== undefined && settings.HTTP_SMS_URL !== '',
  switchOff: (settings) => {
    delete settings.HTTP_SMS_URL
  },
  fixes: {
    HTTP_SMS_URL: 'set HTTP_SMS_URL to your gateway endpoint (http:// or https://), or remove it',
    HTTP_SMS_SECRET: 'set HTTP_SMS_SECRET to the secret your gateway checks the request signature with',
  },
  enabled: (config) => config.sms.http !== null,
  wellFormed(config: Config): Check[] {
    const h = config.sms.http
    if (!h) return []
    return [
      {
        section: 'HTTP gateway',
        status: 'ok',
        message: `configured: ${new URL(h.url).origin}, signing secret set`,
      },
    ]
  },
  live: async (config) => (config.sms.http ? [noLiveCheck('HTTP gateway', 'http')] : []),
}
