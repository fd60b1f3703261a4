import { createHash, createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { TestContext } from 'node:test'
import { listenLocally, replyAfter } from './gateway-fakes.js'

// A local Telegram Gateway, built from ../shared/telegram-gateway.md: the methods (any case, GET or POST,
// parameters in the query, a form or JSON), the bearer token (or access_token), {"ok", "result" | "error"}
// answers with HTTP 200, RequestStatus objects, and signed delivery reports.

export const TELEGRAM_TOKEN = '123456:AAE-telegram-gateway-test-token'

export interface TelegramCall {
  method: string
  httpMethod: string
  authorization: string | undefined
  params: Record<string, unknown>
}

export interface RequestStatus {
  request_id: string
  phone_number: string
  request_cost: number
  is_refunded?: boolean
  remaining_balance?: number
  delivery_status?: { status: string; updated_at: number }
  payload?: string
}

export interface FakeTelegram {
  url: string
  calls: TelegramCall[]
  /** Numbers with a Telegram account; others get PHONE_NUMBER_NOT_ON_TELEGRAM-like errors. */
  onTelegram: Set<string>
  balance: number
  /** Every request made, by request_id, with what it was sent with. */
  requests: Map<string, RequestStatus & { code?: string; ttl?: number; callback_url?: string }>
  /** When set, every call answers this HTTP status (Telegram down behind a proxy). */
  httpStatus: number | null
  /** Delay before each answer. */
  delayMs: number
  /** The report Telegram would POST for `requestId` now: its exact body and signed headers. */
  report(
    requestId: string,
    status: string,
    options?: { timestamp?: number; token?: string; hexKey?: boolean },
  ): { body: string; headers: Record<string, string> }
}

const FEE = 0.01
const fail = (error: string) => ({ ok: false, error })

async function paramsOf(req: IncomingMessage, body: string): Promise<Record<string, unknown>> {
  const url = new URL(req.url ?? '/', 'http://fake')
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams)
  const type = req.headers['content-type'] ?? ''
  if (type.startsWith('application/json') && body) Object.assign(params, JSON.parse(body))
  else if (type.startsWith('application/x-www-form-urlencoded'))
    Object.assign(params, Object.fromEntries(new URLSearchParams(body)))
  return params
}

/** Telegram's signature: hex(HMAC-SHA256(key = SHA-256(token), timestamp + "\n" + body)). */
export function signReport(token: string, timestamp: number, body: string, hexKey = false): string {
  const digest = createHash('sha256').update(token).digest()
  return createHmac('sha256', hexKey ? digest.toString('hex') : digest)
    .update(`${timestamp}\n${body}`)
    .digest('hex')
}

export async function fakeTelegram(t: TestContext): Promise<FakeTelegram> {
  let seq = 0
  const fake: FakeTelegram = {
    url: '',
    calls: [],
    onTelegram: new Set(),
    balance: 10,
    requests: new Map(),
    httpStatus: null,
    delayMs: 0,
    report(requestId, status, options = {}) {
      const request = fake.requests.get(requestId)
      if (!request) throw new Error(`no request ${requestId}`)
      const refunded = status === 'expired'
      const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000)
      const body = JSON.stringify({
        request_id: request.request_id,
        phone_number: request.phone_number,
        request_cost: request.request_cost,
        ...(refunded ? { is_refunded: true } : {}),
        delivery_status: { status, updated_at: timestamp },
        ...(request.payload ? { payload: request.payload } : {}),
      })
      const signature = signReport(options.token ?? TELEGRAM_TOKEN, timestamp, body, options.hexKey)
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-request-timestamp': String(timestamp),
          'x-request-signature': signature,
        },
      }
    },
  }

  function answer(method: string, p: Record<string, unknown>, auth: string | undefined): unknown {
    const token = auth?.replace(/^Bearer\s+/i, '') ?? p.access_token
    if (!token) return fail('ACCESS_TOKEN_REQUIRED')
    if (token !== TELEGRAM_TOKEN) return fail('ACCESS_TOKEN_INVALID')
    const phone = typeof p.phone_number === 'string' ? p.phone_number : ''
    switch (method) {
      case 'sendverificationmessage':
      case 'checksendability': {
        if (!/^\+?[0-9]{8,15}$/.test(phone)) return fail('PHONE_NUMBER_INVALID')
        if (!fake.onTelegram.has(phone.replace(/^\+?/, '+'))) return fail('PHONE_NUMBER_NOT_AVAILABLE')
        const send = method === 'sendverificationmessage'
        if (send && p.code !== undefined && !/^[0-9]{4,8}$/.test(String(p.code))) return fail('CODE_INVALID')
        const ttl = p.ttl === undefined ? undefined : Number(p.ttl)
        if (ttl !== undefined && !(ttl >= 30 && ttl <= 3600)) return fail('TTL_INVALID')
        if (typeof p.payload === 'string' && Buffer.byteLength(p.payload) > 128)
          return fail('PAYLOAD_INVALID')
        if (typeof p.callback_url === 'string' && Buffer.byteLength(p.callback_url) > 256)
          return fail('CALLBACK_URL_INVALID')
        // A send after checkSendAbility, with its request_id, is free.
        const prepaid = send && typeof p.request_id === 'string' && fake.requests.has(p.request_id)
        const cost = prepaid ? 0 : FEE
        if (fake.balance < cost) return fail('BALANCE_NOT_ENOUGH')
        fake.balance -= cost
        const status: RequestStatus & { code?: string; ttl?: number; callback_url?: string } = {
          request_id: `tg-${++seq}`,
          phone_number: phone,
          request_cost: cost,
          remaining_balance: fake.balance,
          ...(send ? { delivery_status: { status: 'sent', updated_at: Math.floor(Date.now() / 1000) } } : {}),
          ...(typeof p.payload === 'string' ? { payload: p.payload } : {}),
          ...(send && p.code !== undefined ? { code: String(p.code) } : {}),
          ...(ttl !== undefined ? { ttl } : {}),
          ...(typeof p.callback_url === 'string' ? { callback_url: p.callback_url } : {}),
        }
        fake.requests.set(status.request_id, status)
        const { code: _c, ttl: _t, callback_url: _u, ...result } = status
        return { ok: true, result }
      }
      case 'checkverificationstatus':
      case 'revokeverificationmessage': {
        const request = fake.requests.get(String(p.request_id))
        if (!request) return fail('REQUEST_ID_INVALID')
        return { ok: true, result: method === 'revokeverificationmessage' ? true : request }
      }
      default:
        return fail('METHOD_NOT_FOUND')
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const method = new URL(req.url ?? '/', 'http://fake').pathname.slice(1).toLowerCase()
      const params = await paramsOf(req, body)
      const auth = req.headers.authorization
      fake.calls.push({ method, httpMethod: req.method ?? '', authorization: auth, params })
      replyAfter(res, fake.delayMs, () => {
        if (fake.httpStatus !== null) {
          res.writeHead(fake.httpStatus, { 'content-type': 'text/html' })
          res.end('<html>Bad Gateway</html>')
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(answer(method, params, auth)))
      })
    })
  })
  fake.url = await listenLocally(t, server)
  return fake
}

/** Settings enabling Telegram Gateway at the fake, with reports coming back to PUBLIC_BASE_URL. */
export const telegramEnv = (url: string, extra: Record<string, string> = {}): Record<string, string> => ({
  TELEGRAM_GATEWAY_ENABLED: 'true',
  TELEGRAM_GATEWAY_TOKEN: TELEGRAM_TOKEN,
  TELEGRAM_GATEWAY_API_BASE_URL: url,
  PUBLIC_BASE_URL: 'https://auth.royaltaxi.example',
  ...extra,
})
