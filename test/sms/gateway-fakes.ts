import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { EskizSettings } from '../../src/channels/eskiz/settings.js'
import { prismSkipReasonFor, SHARED } from '../prism.js'

export const ESKIZ_SPEC = join(SHARED, 'eskiz', 'openapi.yaml')
export const eskizSkipReason = (): string | false => prismSkipReasonFor(ESKIZ_SPEC, 'Eskiz')

export interface Received {
  method: string
  /** Path and query. */
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** The body parsed as JSON, or null. */
  json: unknown
  /** multipart/form-data fields, when the body is a form. */
  form: Record<string, string> | null
}

export type Answer = { status: number; body?: unknown; delayMs?: number }

export interface FakeGateway {
  url: string
  received: Received[]
  /** Answers to give, one per request, in order; the last one repeats. */
  answers: (Answer | ((req: Received) => Answer))[]
}

async function parseForm(req: Received): Promise<Record<string, string> | null> {
  const type = req.headers['content-type'] ?? ''
  if (!type.startsWith('multipart/form-data')) return null
  const form = await new Response(req.body, { headers: { 'content-type': type } }).formData()
  return Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]))
}

/** A small in-process HTTP gateway that records every request and answers from a script. */
export async function fakeGateway(t: TestContext, answers: FakeGateway['answers']): Promise<FakeGateway> {
  const fake: FakeGateway = { url: '', received: [], answers }
  let served = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let json: unknown = null
      try {
        json = JSON.parse(body)
      } catch {}
      const received: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        json,
        form: null,
      }
      received.form = await parseForm(received)
      fake.received.push(received)
      const script = fake.answers[
        Math.min(served++, fake.answers.length - 1)
      ] as FakeGateway['answers'][number]
      const answer = typeof script === 'function' ? script(received) : script
      replyAfter(res, answer.delayMs, () => {
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {})
        res.writeHead(answer.status, {
          'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
        })
        res.end(text)
      })
    })
  })
  fake.url = await listenLocally(t, server)
  return fake
}

/** Answers after `delayMs` (a slow gateway), unless the client has hung up by then. */
export function replyAfter(res: ServerResponse, delayMs: number | undefined, reply: () => void): void {
  const send = () => {
    if (!res.destroyed) reply()
  }
  if (delayMs) setTimeout(send, delayMs).unref()
  else send()
}

/** Listens on a free loopback port until the test ends, and answers the base URL. */
export async function listenLocally(t: TestContext, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    // Connections a client keeps alive (or a slow answer holds) would keep close() waiting.
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Settings enabling Playmobile at `playmobileUrl` and the HTTP gateway at `httpUrl`, as the server reads them. */
export function localGatewaysEnv(playmobileUrl: string, httpUrl: string): Record<string, string> {
  return {
    PLAYMOBILE_ENABLED: 'true',
    PLAYMOBILE_LOGIN: 'royaltaxi',
    PLAYMOBILE_PASSWORD: 'pm-secret',
    PLAYMOBILE_API_BASE_URL: playmobileUrl,
    HTTP_SMS_URL: httpUrl,
    HTTP_SMS_SECRET: 'http-gateway-secret-0123',
  }
}

/** The Eskiz connector's settings for a gateway at `baseUrl`: the account of eskizEnv. */
export const eskizSettings = (baseUrl: string, callbackUrl: string | null = null): EskizSettings => ({
  email: 'ops@royaltaxi.uz',
  password: 'eskiz-secret-pass',
  from: '4546',
  baseUrl,
  callbackUrl,
})

/** Settings enabling Eskiz at `baseUrl`, as the server reads them. */
export const eskizEnv = (baseUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
  ESKIZ_ENABLED: 'true',
  ESKIZ_EMAIL: 'ops@royaltaxi.uz',
  ESKIZ_PASSWORD: 'eskiz-secret-pass',
  ESKIZ_API_BASE_URL: baseUrl,
  ...extra,
})
