import { isTrue } from '../../settings.js'
import type { Check, ConnectorDoctor } from '../connector.js'
import { twilioHttpClient } from './http.js'
import { sdk } from './sdk.js'
import type { TwilioSettings } from './settings.js'

const CONSOLE = 'https://console.twilio.com'

/** A balance below this (in the account's currency) is worth a warning: a few hundred codes at most. */
const LOW_BALANCE = 5

function mask(value: string): string {
  return value.length > 10 ? `${value.slice(0, 6)}…${value.slice(-4)}` : value
}

interface TwilioFailure {
  status?: number
  code?: number
  message?: string
}

function failure(
  err: unknown,
  sid: string,
  baseUrl: string,
  describeError: (err: unknown) => string,
): Pick<Check, 'message' | 'fix'> {
  const { status, code } = err as TwilioFailure
  if (status === 401 || code === 20003)
    return {
      message: 'Account SID or Auth Token is wrong: copy them again from the console',
      fix: `copy the Account SID and Auth Token from ${CONSOLE} (Account Info) into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`,
    }
  if (status === 404 || code === 20404)
    return {
      message: `Twilio knows no account ${mask(sid)}`,
      fix: `copy the Account SID again from ${CONSOLE} (Account Info)`,
    }
  if (status !== undefined)
    return {
      message:
        `Twilio answered ${status}${code ? ` (error ${code})` : ''}: ${(err as TwilioFailure).message ?? ''}`.trim(),
      fix: code
        ? `see https://www.twilio.com/docs/api/errors/${code}`
        : 'try again; check https://status.twilio.com',
    }
  return {
    message: `Twilio does not answer at ${baseUrl}: ${describeError(err)}`,
    fix: 'check the network and firewall (HTTPS to api.twilio.com), and TWILIO_API_BASE_URL',
  }
}

export const twilioDoctor: ConnectorDoctor<TwilioSettings> = {
  switchedOn: (settings) => isTrue(settings.TWILIO_ENABLED),
  switchOff: (settings) => {
    settings.TWILIO_ENABLED = 'false'
  },
  fixes: {
    TWILIO_ACCOUNT_SID: `copy the Account SID (AC…) from ${CONSOLE} (Account Info) into TWILIO_ACCOUNT_SID`,
    TWILIO_AUTH_TOKEN: `copy the Auth Token from ${CONSOLE} (Account Info) into TWILIO_AUTH_TOKEN`,
    TWILIO_PHONE_NUMBER: `set TWILIO_PHONE_NUMBER to your Twilio number in E.164 (+15017122661), from ${CONSOLE} → Phone Numbers → Active numbers; or set TWILIO_MESSAGING_SERVICE_SID`,
    TWILIO_MESSAGING_SERVICE_SID: `copy the Messaging Service SID (MG…) from ${CONSOLE} → Messaging → Services, or remove it and set TWILIO_PHONE_NUMBER`,
    TWILIO_API_BASE_URL: 'remove TWILIO_API_BASE_URL (the default is https://api.twilio.com)',
    TWILIO_ENABLED: 'TWILIO_ENABLED=true or false',
  },

  wellFormed(t) {
    const sender = t.messagingServiceSid ? `Messaging Service ${mask(t.messagingServiceSid)}` : t.phoneNumber
    return [
      {
        section: 'Twilio',
        status: 'ok',
        message: `credentials are well-formed: Account SID ${mask(t.accountSid)}, sender ${sender}`,
      },
    ]
  },

  async live(t, { section, timeoutMs, describeError }) {
    const client = sdk()(t.accountSid, t.authToken, {
      httpClient: twilioHttpClient(t.http, timeoutMs),
      edge: '',
      region: '',
    })
    // As in TwilioProvider: the SDK has no base-URL option; Domain.baseUrl prefixes every path.
    client.api.baseUrl = t.baseUrl
    const account = client.api.v2010.accounts(t.accountSid)
    const checks: Check[] = []
    try {
      const info = await account.fetch()
      const name = info.friendlyName ? `"${info.friendlyName}" ` : ''
      if (info.status !== 'active')
        checks.push({
          section,
          status: 'fail',
          message: `the Twilio account ${name}is ${info.status}: it cannot send`,
          fix: `reactivate it in ${CONSOLE} (or contact Twilio support)`,
        })
      else if (info.type === 'Trial')
        checks.push({
          section,
          status: 'warn',
          message: `the Twilio account ${name}is a trial account: it sends only to verified numbers, with a "Sent from your Twilio trial account" prefix`,
          fix: `upgrade it in ${CONSOLE} → Billing, or add test numbers under Phone Numbers → Verified Caller IDs`,
        })
      else
        checks.push({
          section,
          status: 'ok',
          message: `the Twilio account ${name}answers: active, ${info.type} account`,
        })
    } catch (err) {
      checks.push({ section, status: 'fail', ...failure(err, t.accountSid, t.baseUrl, describeError) })
      return checks
    }
    try {
      const { balance, currency } = await account.balance.fetch()
      const amount = Number(balance)
      const text = `${balance} ${currency}`
      if (!Number.isFinite(amount))
        checks.push({ section, status: 'warn', message: 'Twilio did not report a balance (a subaccount?)' })
      else if (amount <= 0)
        checks.push({
          section,
          status: 'fail',
          message: `the Twilio balance is ${text}: messages will be refused`,
          fix: `add funds in ${CONSOLE} → Billing`,
        })
      else if (amount < LOW_BALANCE)
        checks.push({
          section,
          status: 'warn',
          message: `the Twilio balance is low: ${text}`,
          fix: `add funds in ${CONSOLE} → Billing (or turn on auto-recharge)`,
        })
      else checks.push({ section, status: 'ok', message: `the Twilio balance is ${text}` })
    } catch (err) {
      const { message, fix } = failure(err, t.accountSid, t.baseUrl, describeError)
      checks.push({ section, status: 'warn', message: `could not read the Twilio balance: ${message}`, fix })
    }
    return checks
  },
}
