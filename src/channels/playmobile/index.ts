import { isTrue } from '../../settings.js'
import { connector } from '../connector.js'
import { noLiveCheck } from '../doctor.js'
import { PlaymobileProvider } from './provider.js'
import { playmobileReceiptStatus, playmobileReceipts } from './receipts.js'
import { PLAYMOBILE_SETTINGS, playmobileProblems, playmobileSettings } from './settings.js'

export const playmobile = connector({
  name: 'playmobile',
  label: 'Playmobile',
  prefix: 'PLAYMOBILE_',
  // A broker for Uzbek operators only.
  countries: ['UZ'],
  settings: PLAYMOBILE_SETTINGS,
  secrets: ['PLAYMOBILE_PASSWORD'],
  enabled: (env) => env.PLAYMOBILE_ENABLED,
  problems: playmobileProblems,
  configure: playmobileSettings,
  start: (settings, timeoutMs) => ({
    provider: new PlaymobileProvider(settings, timeoutMs),
    logLine: `✅ Playmobile SMS service initialized (originator ${settings.originator})`,
  }),
  receiptStatus: playmobileReceiptStatus,
  receipts: playmobileReceipts,
  doctor: {
    switchedOn: (raw) => isTrue(raw.PLAYMOBILE_ENABLED),
    switchOff: (raw) => {
      raw.PLAYMOBILE_ENABLED = 'false'
    },
    fixes: {
      PLAYMOBILE_LOGIN: 'set PLAYMOBILE_LOGIN to the broker login from your Playmobile contract',
      PLAYMOBILE_PASSWORD: 'set PLAYMOBILE_PASSWORD to the broker password from your Playmobile contract',
      PLAYMOBILE_ORIGINATOR: 'set PLAYMOBILE_ORIGINATOR to the sender name Playmobile registered for you',
      PLAYMOBILE_API_BASE_URL: 'set PLAYMOBILE_API_BASE_URL to the broker URL from your contract',
      PLAYMOBILE_ENABLED: 'PLAYMOBILE_ENABLED=true or false',
    },
    wellFormed: (p) => [
      {
        section: 'Playmobile',
        status: 'ok',
        message: `credentials are present: login ${p.login}, originator "${p.originator}", ${p.baseUrl}`,
      },
    ],
    live: async () => [noLiveCheck('Playmobile', 'playmobile')],
  },
})
