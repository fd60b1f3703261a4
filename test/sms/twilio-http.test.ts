// The HTTP client under the twilio SDK (src/sms/twilio-http.ts): the form it writes, and the settings the SDK's
// own client read from the environment (HTTP_PROXY, TWILIO_CA_BUNDLE), plus HTTPS_PROXY and NO_PROXY.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo, connect } from 'node:net'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.js'
import { SmsError } from '../../src/sms/provider.js'
import type { TwilioProvider } from '../../src/sms/twilio.js'
import { formEncode, type TwilioHttpSettings } from '../../src/sms/twilio-http.js'
import { buildTestApp, post } from '../helpers.js'
import { DIRECT, fields, recordingServer, twilioCreated, twilioEnv, twilioProvider } from './twilio-fakes.js'

const SID = 'SM0123456789abcdef0123456789abcdef'
const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
/** A self-signed certificate for 127.0.0.1 (valid until 2126), made for these tests only. */
const CERT = join(FIXTURES, 'tls-localhost.crt')
const KEY = join(FIXTURES, 'tls-localhost.key')

function provider(baseUrl: string, http: Partial<TwilioHttpSettings>): TwilioProvider {
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

test('the form is written as the SDK wrote it: repeated keys for lists, %20, RFC 3986 escapes', () => {
  assert.equal(
    formEncode({
      To: '+998901234567',
      Body: "Kod: 123 456\nO'zbek (test)*!~",
      MediaUrl: ['https://a.example/1.png', 'https://a.example/2.png'],
      ShortenUrls: true,
      ValidityPeriod: 60,
      Skipped: undefined,
      Empty: null,
    }),
    'To=%2B998901234567&Body=Kod%3A%20123%20456%0AO%27zbek%20%28test%29%2A%21~' +
      '&MediaUrl=https%3A%2F%2Fa.example%2F1.png&MediaUrl=https%3A%2F%2Fa.example%2F2.png' +
      '&ShortenUrls=true&ValidityPeriod=60&Empty=',
  )
  assert.equal(formEncode({ Body: 'Код: 123 ✓' }), 'Body=%D0%9A%D0%BE%D0%B4%3A%20123%20%E2%9C%93')
})

test('HTTP_PROXY: the request goes through the proxy, as with the SDK', async (t) => {
  const fake = await recordingServer(t, twilioCreated(SID))
  const proxy = await tunnellingProxy(t)
  const sent = await send(provider(fake.url, { httpProxy: proxy.url }))
  assert.equal(sent.providerMessageId, SID)
  assert.deepEqual(proxy.tunnels, [new URL(fake.url).host])
  assert.equal(fields(fake.requests[0]).Body, 'code 1')
})

test('NO_PROXY names the API host: it is reached directly', async (t) => {
  const fake = await recordingServer(t, twilioCreated(SID))
  const proxy = await tunnellingProxy(t)
  await send(provider(fake.url, { httpProxy: proxy.url, noProxy: '127.0.0.1' }))
  assert.deepEqual(proxy.tunnels, [])
  assert.equal(fake.requests.length, 1)
})

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

test('TWILIO_CA_BUNDLE: an API behind a certificate Node does not know is trusted only with it', async (t) => {
  const url = await httpsFake(t)
  const refused = await send(provider(url, {})).catch((err: unknown) => err)
  assert.ok(refused instanceof SmsError, String(refused))
  assert.equal(refused.kind, 'unavailable')
  assert.equal(refused.providerCode, 'DEPTH_ZERO_SELF_SIGNED_CERT')

  const sent = await send(provider(url, { caBundle: CERT }))
  assert.equal(sent.providerMessageId, SID)
})

test('HTTPS_PROXY carries https:// requests (the SDK ignored it); an http:// API does not use it', async (t) => {
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

test('the settings reach the client: HTTP_PROXY from the environment (or .env) carries what the app sends', async (t) => {
  const fake = await recordingServer(t, twilioCreated(SID))
  const proxy = await tunnellingProxy(t)
  const ta = await buildTestApp(t, {
    env: twilioEnv(fake.url, { HTTP_PROXY: proxy.url }),
    configuredProviders: true,
  })
  const res = await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901234567' })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(proxy.tunnels, [new URL(fake.url).host])
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
