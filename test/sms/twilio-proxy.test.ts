// The twilio SDK's own HTTP client as the settings configure it (src/channels/twilio/http.ts): TWILIO_CA_BUNDLE,
// HTTP_PROXY, HTTPS_PROXY and NO_PROXY, from the settings (so .env works too), not from the process environment.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo, connect } from 'node:net'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { SmsError } from '../../src/channels/provider.js'
import type { TwilioProvider } from '../../src/channels/twilio/provider.js'
import type { TwilioSettings } from '../../src/channels/twilio/settings.js'
import { ConfigError, loadConfig } from '../../src/config.js'
import { buildTestApp, post } from '../helpers.js'
import { DIRECT, recordingServer, twilioCreated, twilioEnv, twilioProvider } from './twilio-fakes.js'

const SID = 'SM0123456789abcdef0123456789abcdef'
const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
/** A self-signed certificate for 127.0.0.1 (valid until 2126), made for these tests only. */
const CERT = join(FIXTURES, 'tls-localhost.crt')
const KEY = join(FIXTURES, 'tls-localhost.key')

function provider(baseUrl: string, http: Partial<TwilioSettings['http']>): TwilioProvider {
  return twilioProvider(baseUrl, { http: { ...DIRECT, ...http } }, 2000)
}

const send = (p: TwilioProvider, text = 'code 1') =>
  p.send({ to: '+998901234567', text, messageId: 'm1' }, AbortSignal.timeout(5000))

/** A forward proxy that only tunnels (CONNECT), as corporate proxies do; it records each tunnel's target. */
async function tunnellingProxy(t: TestContext): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = []
  const server = createHttpServer((_req, res) => res.writeHead(405).end())
  server.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '')
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client).pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels }
}

/** An API answering like Twilio over HTTPS, with the fixture's self-signed certificate. */
async function httpsFake(t: TestContext): Promise<string> {
  const server = createHttpsServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, (req, res) => {
    req.resume()
    req.on('end', () => void twilioCreated(SID)({ form: [] } as never, res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`
}

test('HTTP_PROXY: the request is tunnelled through the proxy, as with the SDK', async (t) => {
  const url = await httpsFake(t)
  const proxy = await tunnellingProxy(t)
  const sent = await send(provider(url, { httpProxy: proxy.url, caBundle: CERT }))
  assert.equal(sent.providerMessageId, SID)
  assert.deepEqual(proxy.tunnels, [new URL(url).host])
})

test('NO_PROXY names the API host: it is reached directly', async (t) => {
  const url = await httpsFake(t)
  const proxy = await tunnellingProxy(t)
  await send(provider(url, { httpProxy: proxy.url, noProxy: '127.0.0.1', caBundle: CERT }))
  assert.deepEqual(proxy.tunnels, [])
})

test('TWILIO_CA_BUNDLE: an API behind a certificate Node does not know is trusted only with it', async (t) => {
  const url = await httpsFake(t)
  const refused = await send(provider(url, {})).catch((err: unknown) => err)
  assert.ok(refused instanceof SmsError, String(refused))
  assert.equal(refused.kind, 'unavailable')
  assert.equal(refused.providerCode, 'DEPTH_ZERO_SELF_SIGNED_CERT')

  const sent = await send(provider(url, { caBundle: CERT }))
  assert.equal(sent.providerMessageId, SID)
})

test('HTTPS_PROXY carries https:// requests (the SDK alone ignores it); an http:// API does not use it', async (t) => {
  const url = await httpsFake(t)
  const proxy = await tunnellingProxy(t)
  const sent = await send(provider(url, { httpsProxy: proxy.url, caBundle: CERT }))
  assert.equal(sent.providerMessageId, SID)
  assert.deepEqual(proxy.tunnels, [new URL(url).host])

  const plain = await recordingServer(t, twilioCreated(SID))
  await send(provider(plain.url, { httpsProxy: proxy.url }))
  assert.equal(proxy.tunnels.length, 1)
  assert.equal(plain.requests.length, 1)
})

test('the settings reach the client: HTTP_PROXY from the settings (not the process) carries what the app sends', async (t) => {
  const url = await httpsFake(t)
  const proxy = await tunnellingProxy(t)
  const ta = await buildTestApp(t, {
    env: twilioEnv(url, { HTTP_PROXY: proxy.url, TWILIO_CA_BUNDLE: CERT }),
    configuredProviders: true,
  })
  const res = await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901234567' })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(proxy.tunnels, [new URL(url).host])
})

test('TWILIO_CA_BUNDLE must be a readable PEM file; a proxy must be an http(s) URL, never echoed', () => {
  const twilio = twilioEnv('https://api.twilio.com')
  const problems = (extra: Record<string, string>) => {
    try {
      loadConfig({ ...twilio, ...extra })
    } catch (err) {
      if (err instanceof ConfigError) return err.problems
      throw err
    }
    return []
  }
  assert.deepEqual(
    problems({ TWILIO_CA_BUNDLE: CERT, HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost' }),
    [],
  )
  assert.deepEqual(problems({ TWILIO_CA_BUNDLE: '/nonexistent/ca.pem' }), [
    'TWILIO_CA_BUNDLE: cannot use /nonexistent/ca.pem: ENOENT',
  ])
  assert.deepEqual(problems({ TWILIO_CA_BUNDLE: KEY }), [
    `TWILIO_CA_BUNDLE: cannot use ${KEY}: it holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
  ])
  assert.deepEqual(problems({ HTTP_PROXY: 'socks5://u:s3cret@proxy:1080', HTTPS_PROXY: 'http://' }), [
    'HTTP_PROXY: expected an http(s) URL such as http://proxy.internal:3128',
    'HTTPS_PROXY: expected an http(s) URL such as http://proxy.internal:3128',
  ])
  const config = loadConfig({ ...twilio, HTTP_PROXY: 'http://u:p@proxy:3128', NO_PROXY: '.internal' })
  assert.deepEqual(config.sms.twilio?.http, {
    caBundle: null,
    httpProxy: 'http://u:p@proxy:3128',
    httpsProxy: null,
    noProxy: '.internal',
  })
  // Without a scheme, as curl reads it.
  assert.equal(
    loadConfig({ ...twilio, HTTPS_PROXY: 'proxy:3128' }).sms.twilio?.http.httpsProxy,
    'http://proxy:3128',
  )
  // Machine-wide proxy settings that Twilio, disabled, would not use never stop the service from starting.
  assert.equal(
    loadConfig({ HTTP_PROXY: 'socks5://proxy:1080', TWILIO_CA_BUNDLE: '/nonexistent' }).sms.twilio,
    null,
  )
})
