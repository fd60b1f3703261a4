import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { TwilioProvider } from '../../src/channels/twilio/provider.js'
import type { TwilioSettings as TwilioConfig } from '../../src/channels/twilio/settings.js'
import { prismSkipReasonFor, SHARED, startPrismOn } from '../prism.js'

export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef'
export const AUTH_TOKEN = '5f4dcc3b5aa765d61d8327deb882cf99'
export const FROM = '+15005550006'
export const MESSAGING_SERVICE_SID = 'MG0123456789abcdef0123456789abcdef'
export const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`

export const TWILIO_SPEC = join(SHARED, 'twilio', 'twilio_api_v2010.json')

/** Settings that enable Twilio against `baseUrl`, so the app builds its provider as the server would. */
export function twilioEnv(baseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: FROM,
    TWILIO_API_BASE_URL: baseUrl,
    ...extra,
  }
}

/** Twilio's HTTP settings with no CA bundle and no proxy: straight to the API. */
export const DIRECT: TwilioConfig['http'] = {
  caBundle: null,
  httpProxy: null,
  httpsProxy: null,
  noProxy: null,
}

/** A provider built by hand, for what the settings would refuse or the app would hide. */
export function twilioProvider(
  baseUrl: string,
  overrides: Partial<TwilioConfig> = {},
  timeoutMs = 5000,
): TwilioProvider {
  const config: TwilioConfig = {
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    phoneNumber: FROM,
    messagingServiceSid: null,
    baseUrl,
    statusCallback: null,
    http: DIRECT,
    ...overrides,
  }
  return new TwilioProvider(config, timeoutMs)
}

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  /** Basic credentials, decoded. */
  user: string | null
  password: string | null
  /** The form fields, in the order sent. */
  form: [string, string][]
  body: string
}

/** Fields sent once each, as a plain object (for deepEqual). */
export function fields(req: ReceivedRequest | undefined): Record<string, string> {
  if (!req) throw new Error('no request was received')
  return Object.fromEntries(req.form)
}

type Handler = (req: ReceivedRequest, res: ServerResponse) => void | Promise<void>

export interface RecordingServer {
  url: string
  requests: ReceivedRequest[]
  /** What the current test wants answered; replaced between tests. */
  handler: Handler
  /** TCP connections accepted so far: with keep-alive, far fewer than requests. */
  connections: number
}

/** An HTTP server (on 127.0.0.1 unless told) that records every request, then lets `handler` answer it. */
export async function recordingServer(
  t: TestContext,
  handler: Handler,
  host = '127.0.0.1',
): Promise<RecordingServer> {
  const state: RecordingServer = { url: '', requests: [], handler, connections: 0 }
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const [user, ...rest] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : []
    const received: ReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      user: user ?? null,
      password: basic ? rest.join(':') : null,
      form: [...new URLSearchParams(body)],
      body,
    }
    state.requests.push(received)
    try {
      await state.handler(received, res)
    } catch (err) {
      res.writeHead(599).end(String(err))
    }
  })
  server.on('connection', () => {
    state.connections++
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        // A "never answers" handler leaves sockets open; close() alone would wait for them forever.
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  state.url = `http://${host}:${(server.address() as AddressInfo).port}`
  return state
}

/** Answers like Twilio does when it refuses a request: its error JSON with the HTTP status. */
export function twilioError(code: number, status: number, message: string): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        code,
        message,
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status,
      }),
    )
  }
}

/** Answers 201 with a Message resource, as Twilio does on success. */
export function twilioCreated(sid: string, status = 'queued'): Handler {
  return (req, res) => {
    const f = Object.fromEntries(req.form)
    res.writeHead(201, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        sid,
        account_sid: ACCOUNT_SID,
        to: f.To,
        from: f.From ?? null,
        messaging_service_sid: f.MessagingServiceSid ?? null,
        body: f.Body,
        status,
        num_segments: '1',
        direction: 'outbound-api',
        api_version: '2010-04-01',
        error_code: null,
        error_message: null,
      }),
    )
  }
}

export interface Forwarded {
  status: number
  headers: Headers
  body: string
}

/**
 * A recording proxy in front of `upstream`: the test sees both the exact request our provider sent and what
 * the mock answered to it (status, body and Prism's `sl-violations` header).
 */
export async function recordingProxy(
  t: TestContext,
  upstream: string,
): Promise<RecordingServer & { answers: Forwarded[] }> {
  const answers: Forwarded[] = []
  const proxy = await recordingServer(t, async (req, res) => {
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers.set(k, v)
    const answer = await fetch(upstream + req.path, {
      method: req.method,
      headers,
      ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: req.body }),
    })
    const body = await answer.text()
    answers.push({ status: answer.status, headers: answer.headers, body })
    res
      .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
      .end(body)
  })
  return Object.assign(proxy, { answers })
}

export const prismSkipReason = (): string | false => prismSkipReasonFor(TWILIO_SPEC, 'Twilio')

/** Prism on the Twilio spec (its 1.9 MB take the longest to load). */
export const startPrism = (t: TestContext): Promise<string> => startPrismOn(t, TWILIO_SPEC)
