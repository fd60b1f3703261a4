import Type, { type Static, type TObject } from 'typebox'
import { baseUrl, bool, optionalString, withoutTrailingSlashes } from '../../settings.js'
import type { ReceiptLinks } from '../connector.js'

export const TELEGRAM_SETTINGS = {
  TELEGRAM_GATEWAY_ENABLED: bool(false, 'true or false'),
  TELEGRAM_GATEWAY_TOKEN: optionalString('the API token from the Telegram Gateway account page'),
  TELEGRAM_GATEWAY_API_BASE_URL: baseUrl('https://gatewayapi.telegram.org'),
  TELEGRAM_GATEWAY_SENDER_USERNAME: Type.Optional(
    Type.String({
      pattern: '^@?[A-Za-z0-9_]{4,64}$',
      description: 'the username of a channel verified for your Gateway account, e.g. royaltaxi',
    }),
  ),
  /**
   * checkSendAbility before each send. Off by default: it charges the message fee itself (the send that
   * follows is then free), so it only adds a round trip, and a number that cannot receive is told by
   * sendVerificationMessage's own error as well.
   */
  TELEGRAM_GATEWAY_CHECK_ABILITY: bool(false, 'true or false: ask checkSendAbility before each send'),
}

type TelegramEnv = Static<TObject<typeof TELEGRAM_SETTINGS>>

/** Where Telegram posts its delivery reports (signed with the token, so no secret in the URL). */
export const TELEGRAM_REPORT_PATH = '/api/v1/webhooks/telegram/status'

export function telegramProblems(env: TelegramEnv): string[] {
  return env.TELEGRAM_GATEWAY_TOKEN
    ? []
    : ['TELEGRAM_GATEWAY_TOKEN: required when TELEGRAM_GATEWAY_ENABLED=true']
}

export function telegramSettings(env: TelegramEnv, links: ReceiptLinks) {
  if (!env.TELEGRAM_GATEWAY_ENABLED) return null
  const base = links.publicBaseUrl
  return {
    token: env.TELEGRAM_GATEWAY_TOKEN as string,
    baseUrl: withoutTrailingSlashes(env.TELEGRAM_GATEWAY_API_BASE_URL),
    senderUsername: env.TELEGRAM_GATEWAY_SENDER_USERNAME?.replace(/^@/, '') ?? null,
    checkAbility: env.TELEGRAM_GATEWAY_CHECK_ABILITY,
    // Telegram calls back over HTTPS only; without a public HTTPS address no report comes, and a step that
    // waits for one always falls back (the configuration refuses that combination).
    callbackUrl: base?.startsWith('https://') ? `${base}${TELEGRAM_REPORT_PATH}` : null,
  }
}

export type TelegramSettings = NonNullable<ReturnType<typeof telegramSettings>>
