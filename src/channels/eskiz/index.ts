import { isTrue } from '../../settings.js'
import { connector } from '../connector.js'
import { eskizDoctor } from './doctor.js'
import { EskizProvider } from './provider.js'
import { eskizReceiptStatus, eskizReceipts } from './receipts.js'
import { ESKIZ_SETTINGS, eskizProblems, eskizSettings } from './settings.js'

export const eskiz = connector({
  name: 'eskiz',
  label: 'Eskiz',
  prefix: 'ESKIZ_',
  // Uzbek numbers through /sms/send, others through /sms/send-global.
  countries: '*',
  settings: ESKIZ_SETTINGS,
  secrets: ['ESKIZ_PASSWORD'],
  enabled: (env) => env.ESKIZ_ENABLED,
  problems: eskizProblems,
  configure: eskizSettings,
  start: (settings, timeoutMs) => ({
    provider: new EskizProvider(settings, timeoutMs),
    logLine: `✅ Eskiz SMS service initialized (sender ${settings.from})`,
  }),
  receiptStatus: eskizReceiptStatus,
  receipts: eskizReceipts,
  doctor: {
    ...eskizDoctor,
    switchedOn: (raw) => isTrue(raw.ESKIZ_ENABLED),
    switchOff: (raw) => {
      raw.ESKIZ_ENABLED = 'false'
    },
  },
})
