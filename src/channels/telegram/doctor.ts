import type { ConnectorDoctor } from '../connector.js'
import { SmsError } from '../provider.js'
import { TelegramGatewayProvider } from './provider.js'
import type { TelegramSettings } from './settings.js'

const ACCOUNT = 'https://gateway.telegram.org/account'

export const telegramDoctor: Omit<ConnectorDoctor<TelegramSettings>, 'switchedOn' | 'switchOff'> = {
  fixes: {
    TELEGRAM_GATEWAY_TOKEN: `set TELEGRAM_GATEWAY_TOKEN to the API token from ${ACCOUNT} → API`,
    TELEGRAM_GATEWAY_API_BASE_URL:
      'remove TELEGRAM_GATEWAY_API_BASE_URL (the default is https://gatewayapi.telegram.org)',
    TELEGRAM_GATEWAY_SENDER_USERNAME:
      'set TELEGRAM_GATEWAY_SENDER_USERNAME to a channel verified for your Gateway account, or remove it',
    TELEGRAM_GATEWAY_CHECK_ABILITY: 'TELEGRAM_GATEWAY_CHECK_ABILITY=true or false',
    TELEGRAM_GATEWAY_ENABLED: 'TELEGRAM_GATEWAY_ENABLED=true or false',
  },

  wellFormed(s) {
    return [
      {
        section: 'Telegram Gateway',
        status: s.callbackUrl ? 'ok' : 'warn',
        message: s.callbackUrl
          ? `token present; delivery reports come back to ${s.callbackUrl}`
          : 'token present, but no delivery reports will come: PUBLIC_BASE_URL is not an https:// address',
        ...(s.callbackUrl
          ? {}
          : { fix: 'set PUBLIC_BASE_URL to the public https:// address of this service' }),
      },
    ]
  },

  // checkVerificationStatus of a request that does not exist is free: Telegram answers REQUEST_ID_INVALID to a
  // good token and ACCESS_TOKEN_INVALID to a bad one, without sending anything to anybody.
  async live(s, { section, timeoutMs, describeError }) {
    const provider = new TelegramGatewayProvider(s, timeoutMs)
    try {
      await provider.call(
        'checkVerificationStatus',
        { request_id: 'royal-taxi-doctor' },
        AbortSignal.timeout(timeoutMs),
      )
    } catch (err) {
      if (
        err instanceof SmsError &&
        err.kind === 'auth_failed' &&
        err.providerCode?.startsWith('ACCESS_TOKEN')
      )
        return [
          {
            section,
            status: 'fail',
            message: `Telegram Gateway refused the token (${err.providerCode})`,
            fix: `copy the token again from ${ACCOUNT} into TELEGRAM_GATEWAY_TOKEN (check its IP restrictions too)`,
          },
        ]
      if (!(err instanceof SmsError) || err.providerCode === null || /^[0-9]+$/.test(err.providerCode))
        return [
          {
            section,
            status: 'fail',
            message: `Telegram Gateway does not answer at ${s.baseUrl}: ${describeError(err)}`,
            fix: 'check the network and firewall (HTTPS to gatewayapi.telegram.org), and TELEGRAM_GATEWAY_API_BASE_URL',
          },
        ]
    }
    return [{ section, status: 'ok', message: 'Telegram Gateway accepted the token' }]
  },
}
