import type Twilio from 'twilio'
import {
  type Balance,
  type GatewayStatus,
  type SendResult,
  SmsError,
  type SmsErrorKind,
  type SmsMessage,
  type SmsProvider,
  type StatusQuery,
} from '../provider.js'
import { twilioHttpClient } from './http.js'
import { twilioReceiptStatus } from './receipts.js'
import { sdk } from './sdk.js'
import type { TwilioSettings } from './settings.js'

// Twilio's error codes (https://www.twilio.com/docs/api/errors) onto our kinds. Unlisted 4xx codes are treated
// as our own account's problem (unavailable), never as the user's.
const ERROR_KINDS: Record<number, SmsErrorKind> = {
  20003: 'auth_failed', // Authenticate
  20005: 'auth_failed', // Account not active
  20404: 'auth_failed', // wrong Account SID in the URL
  10001: 'quota_exhausted', // Account is not active (lack of funds)
  30002: 'quota_exhausted', // Account suspended
  20429: 'throttled', // Too many requests
  30001: 'throttled', // Queue overflow
  21611: 'throttled', // 'From' number has too many queued messages
  21211: 'invalid_recipient', // Invalid 'To' phone number
  21614: 'invalid_recipient', // 'To' number is not a valid mobile number
  21217: 'invalid_recipient', // Phone number does not appear to be valid
  21401: 'invalid_recipient', // Invalid phone number
  21612: 'invalid_recipient', // 'To' number is not reachable by SMS
  21610: 'invalid_recipient', // recipient replied STOP
  21617: 'rejected_content', // body too long
  30007: 'rejected_content', // filtered as spam
}

interface TwilioRestError {
  status: number
  code?: number
  /** Twilio's own message; missing when the answer was not Twilio's error JSON (e.g. a proxy's HTML page). */
  message?: string
}

function isRestError(err: unknown): err is TwilioRestError {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number'
}

/** How far around an attempt's time a message listed by number may have been created to be taken for it. */
const STATUS_WINDOW_MS = 2 * 60 * 1000

/** The operating system's and undici's (http.ts) codes for a connection or answer that took too long. */
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

/** Maps whatever the twilio SDK threw onto the taxonomy, keeping Twilio's own message. */
export function mapTwilioError(err: unknown, timeoutMs: number): SmsError {
  if (isRestError(err)) {
    const kind =
      (err.code !== undefined ? ERROR_KINDS[err.code] : undefined) ??
      (err.status === 401 ? 'auth_failed' : err.status === 429 ? 'throttled' : 'unavailable')
    // The Python SDK printed "Unable to create record: <message>"; operators' runbooks search for that.
    // The SDK leaves `message` undefined when the body is JSON without one (a proxy's or a mock's problem
    // document): say which HTTP status came back rather than "undefined".
    const message = err.message || `[HTTP ${err.status}] Failed to execute request`
    return new SmsError(kind, `Unable to create record: ${message}`, err.code ? String(err.code) : null, {
      cause: err,
    })
  }
  const code = (err as { code?: string }).code
  if (
    (code !== undefined && TIMEOUT_CODES.has(code)) ||
    (err as Error).name === 'AbortError' ||
    (err as Error).name === 'TimeoutError'
  )
    return new SmsError('unavailable', `No answer from Twilio within ${timeoutMs} ms`, 'TIMEOUT', {
      cause: err,
    })
  // undici's word for a connection that ended before the answer did ("other side closed") names neither side.
  if (code === 'UND_ERR_SOCKET')
    return new SmsError('unavailable', 'Twilio closed the connection without answering', code, { cause: err })
  return new SmsError('unavailable', (err as Error).message ?? String(err), code ?? null, { cause: err })
}

export class TwilioProvider implements SmsProvider {
  readonly name = 'twilio'
  private readonly client: Twilio.Twilio

  constructor(
    private readonly config: TwilioSettings,
    private readonly timeoutMs: number,
  ) {
    this.client = sdk()(config.accountSid, config.authToken, {
      httpClient: twilioHttpClient(config.http, timeoutMs),
      // Empty, not undefined: otherwise the SDK falls back to the process's TWILIO_EDGE / TWILIO_REGION and
      // rewrites the host of TWILIO_API_BASE_URL behind our config's back (a regional endpoint is chosen by
      // setting TWILIO_API_BASE_URL, e.g. https://api.dublin.ie1.twilio.com).
      edge: '',
      region: '',
    })
    // The SDK has no base-URL option; Domain.baseUrl is what it prefixes every path with.
    this.client.api.baseUrl = config.baseUrl
  }

  async send(message: SmsMessage, signal: AbortSignal): Promise<SendResult> {
    const sender = this.config.messagingServiceSid
      ? { messagingServiceSid: this.config.messagingServiceSid }
      : { from: this.config.phoneNumber as string }
    try {
      const callback = this.config.statusCallback ? { statusCallback: this.config.statusCallback } : {}
      const created = await abortable(
        this.client.messages.create({ to: message.to, body: message.text, ...sender, ...callback }),
        signal,
      )
      // Twilio rarely knows the price yet when it answers; the status callback may carry it later.
      const price = twilioPrice(created.price, created.priceUnit)
      return {
        providerMessageId: created.sid,
        status: created.status === 'sent' ? 'sent' : 'queued',
        ...(price ? { price } : {}),
      }
    } catch (err) {
      throw mapTwilioError(err, this.timeoutMs)
    }
  }

  /**
   * By SID when the answer was recorded (GET Messages/{sid}.json); otherwise Twilio has no client id, so the
   * messages to the number created around the attempt's time are listed, and only a single match counts.
   */
  async status(query: StatusQuery, signal: AbortSignal): Promise<GatewayStatus | null> {
    try {
      let message: { sid: string; status: string } | undefined
      if (query.providerMessageId) {
        message = await abortable(this.client.messages(query.providerMessageId).fetch(), signal)
      } else {
        const listed = await abortable(
          this.client.messages.list({
            to: query.to,
            dateSentAfter: new Date(query.at - STATUS_WINDOW_MS),
            dateSentBefore: new Date(query.at + STATUS_WINDOW_MS),
            limit: 20,
          }),
          signal,
        )
        const near = listed.filter(
          (m) => Math.abs((m.dateCreated?.getTime() ?? Number.NaN) - query.at) <= STATUS_WINDOW_MS,
        )
        if (near.length !== 1) return null
        message = near[0]
      }
      const status = message ? twilioReceiptStatus(message.status) : null
      if (!message || !status || status === 'unknown') return null
      return { providerMessageId: message.sid, rawStatus: message.status, status }
    } catch (err) {
      if (isRestError(err) && err.status === 404) return null
      throw this.readError(err)
    }
  }

  /** A failed read (a message's status, the balance), worded as the SDK's reads are. */
  private readError(err: unknown): SmsError {
    const mapped = mapTwilioError(err, this.timeoutMs)
    return new SmsError(
      mapped.kind,
      mapped.message.replace('Unable to create record', 'Unable to fetch record'),
      mapped.providerCode,
      { cause: err },
    )
  }

  /** GET /2010-04-01/Accounts/{sid}/Balance.json (subaccounts have none: an error). */
  async balance(signal: AbortSignal): Promise<Balance> {
    try {
      const b = await abortable(
        this.client.api.v2010.accounts(this.config.accountSid).balance.fetch(),
        signal,
      )
      const amount = Number(b.balance)
      if (!Number.isFinite(amount)) throw new SmsError('unavailable', 'Twilio reported no balance')
      return { amount, currency: (b.currency || 'USD').toUpperCase() }
    } catch (err) {
      if (err instanceof SmsError) throw err
      throw this.readError(err)
    }
  }
}

/** Twilio reports prices as negative strings ("-0.05300": a charge); null until the carrier has billed it. */
export function twilioPrice(
  price: string | null | undefined,
  unit: string | null | undefined,
): { amount: number; currency: string } | null {
  if (price === null || price === undefined || price === '') return null
  const amount = Math.abs(Number(price))
  return Number.isFinite(amount) ? { amount, currency: (unit || 'USD').toUpperCase() } : null
}

/** Rejects with an AbortError when the signal fires, whatever the wrapped promise is still doing. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
