import type { Check } from './connector.js'

/**
 * For gateways without a read-only endpoint to try credentials on (Playmobile, the generic HTTP gateway): the
 * doctor checks their settings and says how to prove them with one real message.
 */
export const noLiveCheck = (label: string, name: string): Check => ({
  section: label,
  status: 'warn',
  message: `${label} has no read-only API to check the credentials against`,
  fix: `send one real message: royal-taxi sms test +998901234567 --provider ${name}`,
})
