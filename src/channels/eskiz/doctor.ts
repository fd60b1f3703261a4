import type { Check, ConnectorDoctor } from '../connector.js'
import { gatewayFetch } from '../fetch.js'
import type { EskizSettings } from './settings.js'

const CABINET = 'https://my.eskiz.uz'

/** A balance below this many so'm is worth a warning: about a hundred codes. */
const LOW_BALANCE_UZS = 10_000

const soum = (n: number) => `${new Intl.NumberFormat('en-US').format(n)} so'm`

function message(json: unknown, text: string): string {
  const m = (json as { message?: unknown } | null)?.message
  return typeof m === 'string' && m ? m : text.replace(/\s+/g, ' ').slice(0, 200)
}

export const eskizDoctor: Omit<ConnectorDoctor<EskizSettings>, 'switchedOn' | 'switchOff'> = {
  fixes: {
    ESKIZ_EMAIL: `set ESKIZ_EMAIL to the e-mail you log in to ${CABINET} with`,
    ESKIZ_PASSWORD: `set ESKIZ_PASSWORD to your Eskiz password (or the API secret from ${CABINET} → Settings)`,
    ESKIZ_FROM: `set ESKIZ_FROM to a sender name approved in ${CABINET} (4546 is Eskiz's test sender)`,
    ESKIZ_API_BASE_URL: 'remove ESKIZ_API_BASE_URL (the default is https://notify.eskiz.uz)',
    ESKIZ_ENABLED: 'ESKIZ_ENABLED=true or false',
  },

  wellFormed(e) {
    return [
      { section: 'Eskiz', status: 'ok', message: `credentials are present: ${e.email}, sender "${e.from}"` },
    ]
  },

  async live(e, { section, timeoutMs: timeout, describeError }) {
    let token: string
    try {
      const res = await gatewayFetch(
        'Eskiz',
        `${e.baseUrl}/api/auth/login`,
        { method: 'POST', body: { email: e.email, password: e.password } },
        AbortSignal.timeout(timeout),
        timeout,
      )
      const value = (res.json as { data?: { token?: unknown } } | null)?.data?.token
      if (res.status !== 200 || typeof value !== 'string' || !value)
        return [
          {
            section,
            status: 'fail',
            message:
              res.status === 401 || res.status === 403 || res.status === 400 || res.status === 422
                ? `Eskiz refused the login (${res.status}: ${message(res.json, res.text)}): ESKIZ_EMAIL or ESKIZ_PASSWORD is wrong`
                : `Eskiz answered the login with ${res.status}: ${message(res.json, res.text)}`,
            fix: `check the e-mail and password by logging in at ${CABINET}, then copy them into ESKIZ_EMAIL and ESKIZ_PASSWORD`,
          },
        ]
      token = value
    } catch (err) {
      return [
        {
          section,
          status: 'fail',
          message: `Eskiz does not answer at ${e.baseUrl}: ${describeError(err)}`,
          fix: 'check the network and firewall (HTTPS to notify.eskiz.uz), and ESKIZ_API_BASE_URL',
        },
      ]
    }
    const checks: Check[] = [{ section, status: 'ok', message: `logged in to Eskiz as ${e.email}` }]
    try {
      const res = await gatewayFetch(
        'Eskiz',
        `${e.baseUrl}/api/user/get-limit`,
        { headers: { authorization: `Bearer ${token}` } },
        AbortSignal.timeout(timeout),
        timeout,
      )
      const balance = Number((res.json as { data?: { balance?: unknown } } | null)?.data?.balance)
      if (res.status !== 200 || !Number.isFinite(balance))
        checks.push({
          section,
          status: 'warn',
          message: `could not read the Eskiz balance: ${res.status} ${message(res.json, res.text)}`,
          fix: `see the balance at ${CABINET}`,
        })
      else if (balance <= 0)
        checks.push({
          section,
          status: 'fail',
          message: `the Eskiz balance is ${soum(balance)}: messages will be refused`,
          fix: `top up at ${CABINET} → Billing`,
        })
      else if (balance < LOW_BALANCE_UZS)
        checks.push({
          section,
          status: 'warn',
          message: `the Eskiz balance is low: ${soum(balance)}`,
          fix: `top up at ${CABINET} → Billing`,
        })
      else checks.push({ section, status: 'ok', message: `the Eskiz balance is ${soum(balance)}` })
    } catch (err) {
      checks.push({
        section,
        status: 'warn',
        message: `could not read the Eskiz balance: ${describeError(err)}`,
        fix: `see the balance at ${CABINET}`,
      })
    }
    return checks
  },
}
