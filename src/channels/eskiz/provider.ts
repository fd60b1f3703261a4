import { countSegments } from '../../pricing.js'
import { excerpt, type GatewayRequest, type GatewayResponse, gatewayFetch, kindForStatus } from '../fetch.js'
import {
  type Balance,
  type GatewayStatus,
  messageCountry,
  type SendResult,
  SmsError,
  type SmsErrorKind,
  type SmsMessage,
  type SmsProvider,
  type StatusQuery,
} from '../provider.js'
import { eskizReceiptStatus } from './receipts.js'
import type { EskizSettings } from './settings.js'

// Eskiz (https://notify.eskiz.uz, contract: ../shared/eskiz/openapi.yaml). A bearer token from
// POST /api/auth/login lives 30 days; PATCH /api/auth/refresh renews it.
const TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000
/** Renew a day before the token runs out, so no send ever meets an expired one. */
const REFRESH_MARGIN_MS = 24 * 3600 * 1000
/** Eskiz's lists take dates in Tashkent time (UTC+5, no daylight saving), to the minute. */
const TASHKENT_MS = 5 * 3600 * 1000
/** How far around the attempt's time its message is looked for in the list. */
const LIST_WINDOW_MS = 10 * 60 * 1000
const eskizDate = (ms: number) => new Date(ms + TASHKENT_MS).toISOString().slice(0, 16).replace('T', ' ')

interface Token {
  value: string
  expiresAt: number
}

// Eskiz answers refusals with a human message (Russian, Uzbek or English) rather than stable codes; these
// words decide the kind. Moderation and test-account refusals are permanent: another try with the same text is
// refused again, so failover would only repeat the refusal.
const QUOTA_WORDS = /balans|balance|средств|баланс|limit|лимит/i
const RECIPIENT_WORDS = /mobile_phone|phone|номер|raqam|blacklist|черн/i
const CONTENT_WORDS = /moderat|модерац|shablon|шаблон|template|тест|test|text|текст|matn|spam|спам/i

function eskizMessage(body: unknown, text: string): string {
  const message = (body as { message?: unknown } | null)?.message
  if (typeof message === 'string' && message) return message
  if (message && typeof message === 'object') return JSON.stringify(message)
  return excerpt(text) || 'no message'
}

/** Maps an Eskiz refusal onto the taxonomy, keeping Eskiz's own message. */
export function mapEskizError(res: GatewayResponse): SmsError {
  const message = eskizMessage(res.json, res.text)
  let kind: SmsErrorKind = kindForStatus(res.status)
  // Eskiz sometimes answers a refusal with 200 and "status": "error".
  if (
    (res.status === 200 || res.status >= 400) &&
    res.status < 500 &&
    ![401, 403, 429].includes(res.status)
  ) {
    if (QUOTA_WORDS.test(message)) kind = 'quota_exhausted'
    else if (RECIPIENT_WORDS.test(message)) kind = 'invalid_recipient'
    else if (CONTENT_WORDS.test(message)) kind = 'rejected_content'
  }
  return new SmsError(kind, message, String(res.status))
}

export class EskizProvider implements SmsProvider {
  readonly name = 'eskiz'
  private token: Token | null = null
  /** One login or refresh at a time: concurrent sends wait for the same one. */
  private renewing: Promise<Token> | null = null

  constructor(
    private readonly config: EskizSettings,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async send(message: SmsMessage, signal: AbortSignal): Promise<SendResult> {
    let token = await this.currentToken(signal)
    let res = await this.post(message, token, signal)
    if (res.status === 401) {
      // The token was revoked or expired early: log in afresh and retry once.
      if (this.token === token) this.token = null
      token = await this.currentToken(signal, token)
      res = await this.post(message, token, signal)
    }
    const body = res.json as { id?: unknown; status?: unknown; total_price?: unknown } | null
    if (res.status < 200 || res.status >= 300 || body?.status === 'error') throw mapEskizError(res)
    const price = Number(body?.total_price)
    return {
      providerMessageId: body?.id !== undefined && body.id !== null ? String(body.id) : null,
      status: 'queued',
      price:
        body?.total_price !== undefined && Number.isFinite(price) ? { amount: price, currency: 'UZS' } : null,
    }
  }

  /** GET /api/user/get-limit: the account's balance in so'm (renewing the token once on a 401, as send does). */
  async balance(signal: AbortSignal): Promise<Balance> {
    const get = async (token: Token) =>
      await gatewayFetch(
        'eskiz',
        `${this.config.baseUrl}/api/user/get-limit`,
        { method: 'GET', headers: { authorization: `Bearer ${token.value}` } },
        signal,
        this.timeoutMs,
      )
    let token = await this.currentToken(signal)
    let res = await get(token)
    if (res.status === 401) {
      if (this.token === token) this.token = null
      token = await this.currentToken(signal, token)
      res = await get(token)
    }
    const amount = Number((res.json as { data?: { balance?: unknown } } | null)?.data?.balance)
    if (res.status !== 200 || !Number.isFinite(amount)) throw mapEskizError(res)
    return { amount, currency: 'UZS' }
  }

  /**
   * By Eskiz's id when we have it (GET status_by_id); otherwise our user_sms_id, searched for in the list of
   * messages sent around the attempt's time (POST get-user-messages, one page of 200).
   */
  async status(query: StatusQuery, signal: AbortSignal): Promise<GatewayStatus | null> {
    let res: GatewayResponse
    let found: Record<string, unknown> | undefined
    if (query.providerMessageId) {
      const path = `/api/message/sms/status_by_id/${encodeURIComponent(query.providerMessageId)}`
      res = await this.authorized(() => ({ path, init: { method: 'GET' } }), signal)
      found = (res.json as { data?: Record<string, unknown> } | null)?.data
    } else {
      const form = {
        start_date: eskizDate(query.at - LIST_WINDOW_MS),
        to_date: eskizDate(query.at + LIST_WINDOW_MS),
        page_size: '200',
      }
      res = await this.authorized(
        () => ({ path: '/api/message/sms/get-user-messages', init: { method: 'POST', body: form } }),
        signal,
      )
      const list = (res.json as { data?: { result?: unknown } } | null)?.data?.result
      found = (Array.isArray(list) ? (list as Record<string, unknown>[]) : []).find(
        (m) => String(m?.user_sms_id) === query.messageId,
      )
    }
    if (res.status === 404) return null
    if (res.status !== 200) throw mapEskizError(res)
    const raw = typeof found?.status === 'string' ? found.status : null
    const status = raw ? eskizReceiptStatus(raw) : null
    if (!found || !raw || !status || status === 'unknown') return null
    const id = found.request_id ?? found.id
    return { providerMessageId: id ? String(id) : null, rawStatus: raw, status }
  }

  /** A call with the bearer token, renewed once on a 401 as send does; `request` builds it afresh each time. */
  async authorized(
    request: () => { path: string; init: GatewayRequest },
    signal: AbortSignal,
  ): Promise<GatewayResponse> {
    const call = (token: Token) => {
      const { path, init } = request()
      return gatewayFetch(
        'eskiz',
        `${this.config.baseUrl}${path}`,
        { ...init, headers: { authorization: `Bearer ${token.value}` } },
        signal,
        this.timeoutMs,
      )
    }
    let token = await this.currentToken(signal)
    let res = await call(token)
    if (res.status === 401) {
      if (this.token === token) this.token = null
      token = await this.currentToken(signal, token)
      res = await call(token)
    }
    return res
  }

  private async post(message: SmsMessage, token: Token, signal: AbortSignal): Promise<GatewayResponse> {
    const digits = message.to.replace(/\D/g, '')
    const form: Record<string, string> = {
      mobile_phone: digits,
      message: message.text,
      from: this.config.from,
      user_sms_id: message.messageId,
    }
    if (this.config.callbackUrl) form.callback_url = this.config.callbackUrl
    let path = '/api/message/sms/send'
    if (!digits.startsWith('998')) {
      // Numbers abroad go through send-global, which wants the country and whether the text is Cyrillic.
      path = '/api/message/sms/send-global'
      form.country_code = messageCountry(message) ?? ''
      if (countSegments(message.text).encoding === 'UCS-2') form.unicode = '1'
    }
    return await gatewayFetch(
      'eskiz',
      `${this.config.baseUrl}${path}`,
      { method: 'POST', body: form, headers: { authorization: `Bearer ${token.value}` } },
      signal,
      this.timeoutMs,
    )
  }

  /** The cached token, renewed first when it is near expiry; `stale` is a token the gateway just refused. */
  private async currentToken(signal: AbortSignal, stale?: Token): Promise<Token> {
    const token = this.token
    if (token && token !== stale && token.expiresAt - REFRESH_MARGIN_MS > this.now()) return token
    this.renewing ??= this.renew(token && token !== stale ? token : null, signal).finally(() => {
      this.renewing = null
    })
    return await this.renewing
  }

  private async renew(previous: Token | null, signal: AbortSignal): Promise<Token> {
    if (previous) {
      const res = await gatewayFetch(
        'eskiz',
        `${this.config.baseUrl}/api/auth/refresh`,
        { method: 'PATCH', headers: { authorization: `Bearer ${previous.value}` } },
        signal,
        this.timeoutMs,
      )
      const value = (res.json as { data?: { token?: unknown } } | null)?.data?.token
      if (res.status === 200 && typeof value === 'string' && value) return this.keep(value)
      // A refused refresh (the token already expired): fall through to a fresh login.
    }
    const res = await gatewayFetch(
      'eskiz',
      `${this.config.baseUrl}/api/auth/login`,
      { method: 'POST', body: { email: this.config.email, password: this.config.password } },
      signal,
      this.timeoutMs,
    )
    const value = (res.json as { data?: { token?: unknown } } | null)?.data?.token
    if (res.status === 200 && typeof value === 'string' && value) return this.keep(value)
    if (res.status === 401 || res.status === 403 || res.status === 400 || res.status === 422)
      throw new SmsError(
        'auth_failed',
        `Login failed: ${eskizMessage(res.json, res.text)}`,
        String(res.status),
      )
    throw mapEskizError(res)
  }

  private keep(value: string): Token {
    this.token = { value, expiresAt: this.now() + TOKEN_LIFETIME_MS }
    return this.token
  }
}
