import { connector } from '../connector.js'
import { twilioDoctor } from './doctor.js'
import { TwilioProvider } from './provider.js'
import { twilioReceiptStatus, twilioReceipts } from './receipts.js'
import { TWILIO_SECRETS, TWILIO_SETTINGS, twilioProblems, twilioSettings } from './settings.js'

export const twilio = connector({
  name: 'twilio',
  label: 'Twilio',
  prefix: 'TWILIO_',
  countries: '*',
  settings: TWILIO_SETTINGS,
  secrets: TWILIO_SECRETS,
  enabled: (env) => env.TWILIO_ENABLED,
  problems: twilioProblems,
  configure: twilioSettings,
  start: (settings, timeoutMs) => ({
    provider: new TwilioProvider(settings, timeoutMs),
    logLine: '✅ Twilio SMS service initialized successfully',
  }),
  // The Python service's line, logged whenever Twilio is off; the runbooks grep for it.
  disabledLine: 'Twilio SMS service disabled (TWILIO_ENABLED=false)',
  receiptStatus: twilioReceiptStatus,
  receipts: twilioReceipts,
  doctor: twilioDoctor,
})
