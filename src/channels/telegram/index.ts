import { isTrue } from '../../settings.js'
import { connector } from '../connector.js'
import { telegramDoctor } from './doctor.js'
import { TelegramGatewayProvider } from './provider.js'
import { telegramReceiptStatus, telegramReceipts } from './receipts.js'
import { TELEGRAM_SETTINGS, telegramProblems, telegramSettings } from './settings.js'

/** Telegram Gateway: our code delivered into Telegram's "Verification Codes" chat, with delivery reports. */
export const telegram = connector({
  name: 'telegram',
  label: 'Telegram Gateway',
  prefix: 'TELEGRAM_GATEWAY_',
  countries: '*',
  settings: TELEGRAM_SETTINGS,
  secrets: ['TELEGRAM_GATEWAY_TOKEN'],
  enabled: (env) => env.TELEGRAM_GATEWAY_ENABLED,
  problems: telegramProblems,
  configure: telegramSettings,
  start: (settings, timeoutMs) => ({
    provider: new TelegramGatewayProvider(settings, timeoutMs),
    logLine: `✅ Telegram Gateway initialized${settings.callbackUrl ? '' : ' (no delivery reports: PUBLIC_BASE_URL is not https)'}`,
  }),
  receiptStatus: telegramReceiptStatus,
  receipts: telegramReceipts,
  doctor: {
    ...telegramDoctor,
    switchedOn: (raw) => isTrue(raw.TELEGRAM_GATEWAY_ENABLED),
    switchOff: (raw) => {
      raw.TELEGRAM_GATEWAY_ENABLED = 'false'
    },
  },
})
