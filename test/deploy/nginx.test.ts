import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { type AddressInfo, connect, createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { type TestContext, test } from 'node:test'
import { buildTestApp } from '../helpers.js'

const NGINX = '/usr/sbin/nginx'
const ROOT = resolve(import.meta.dirname, '../..')
const CERT = join(ROOT, 'test/fixtures/tls-localhost.crt')
const KEY = join(ROOT, 'test/fixtures/tls-localhost.key')

/** The production settings file's value of one setting (deploy/royal-taxi.env.example, as DEPLOY.md says). */
function documentedSetting(name: string): string {
  const line = readFileSync(join(ROOT, 'deploy/royal-taxi.env.example'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}=`))
  assert.ok(line, `deploy/royal-taxi.env.example sets ${name}`)
  return line.slice(name.length + 1)
}

/** Replaces exactly one occurrence, so a change to the documented file that the test no longer matches fails. */
function substitute(text: string, from: RegExp, to: string): string {
  assert.equal(text.match(new RegExp(from, 'g'))?.length, 1, `deploy/nginx.conf has one ${from}`)
  return text.replace(from, to)
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  await new Promise((r) => server.close(r))
  return port
}

/**
 * deploy/nginx.conf as documented, with only its ports, certificate paths and upstream replaced, inside a
 * main configuration that keeps nginx's pid, logs and temporary files in `dir` (it runs as this user).
 */
function nginxConfig(dir: string, ports: { http: number; https: number; app: number }): string {
  let site = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8')
  site = substitute(site, /listen 80;/, `listen 127.0.0.1:${ports.http};`)
  site = substitute(site, /listen 443 ssl http2;/, `listen 127.0.0.1:${ports.https} ssl http2;`)
  site = substitute(site, /ssl_certificate \S+;/, `ssl_certificate ${CERT};`)
  site = substitute(site, /ssl_certificate_key \S+;/, `ssl_certificate_key ${KEY};`)
  site = substitute(site, /server 127\.0\.0\.1:8080;/, `server 127.0.0.1:${ports.app};`)
  writeFileSync(join(dir, 'site.conf'), site)
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d))
  const main = [
    // As root, nginx's workers would switch to `nobody`; keep them this user, who owns the temporary files.
    ...(process.getuid?.() === 0 ? [`user ${userInfo().username};`] : []),
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} info;`,
    'worker_processes 1;',
    'events { worker_connections 64; }',
    'http {',
    `  access_log ${join(dir, 'access.log')};`,
    ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (d) => `  ${d === 'body' ? 'client_body' : d}_temp_path ${join(dir, d)};`,
    ),
    `  include ${join(dir, 'site.conf')};`,
    '}',
  ].join('\n')
  const path = join(dir, 'nginx.conf')
  writeFileSync(path, main)
  return path
}

async function startNginx(t: TestContext, dir: string, config: string, port: number): Promise<ChildProcess> {
  const child = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', config, '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  t.after(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGQUIT')
    await exited
  })
  // Ready once it accepts connections (or gone, with its reason).
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break
    const up = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end()
        r(true)
      }).on('error', () => r(false))
    })
    if (up) return child
    await new Promise((r) => setTimeout(r, 25))
  }
  const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''
  throw new Error(`nginx did not start: ${output}\n${log}`)
}

/** An HTTPS request to nginx from `from` (a loopback address of its own: one rider's phone). */
function through(
  port: number,
  from: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress: from,
        ca: readFileSync(CERT),
        servername: 'localhost',
        agent: false,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => {
          // nginx's own pages (404, 301) are HTML.
          const json = res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : {}
          done({ status: res.statusCode ?? 0, json })
        })
      },
    )
    req.on('error', fail)
    req.end(payload)
  })
}

const nginxSkip = existsSync(NGINX)
  ? false
  : `${NGINX} is not installed (Debian: apt-get install -y nginx; .ci/run installs it)`

test('behind the documented nginx: sign-in works, each rider has its own per-IP limit, a forged X-Forwarded-For is ignored', {
  skip: nginxSkip,
}, async (t) => {
  const trustProxy = documentedSetting('TRUST_PROXY')
  assert.equal(trustProxy, '127.0.0.1')
  const ta = await buildTestApp(t, { env: { TRUST_PROXY: trustProxy, OTP_IP_LIMIT_PER_MINUTE: '5' } })
  await ta.app.listen({ port: 0, host: '127.0.0.1' })
  const app = (ta.app.server.address() as AddressInfo).port

  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-nginx-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const ports = { http: await freePort(), https: await freePort(), app }
  await startNginx(t, dir, nginxConfig(dir, ports), ports.https)

  const A = '127.0.0.2'
  const B = '127.0.0.3'
  const phone = (i: number) => `+9989012345${String(i).padStart(2, '0')}`

  // A sign-in through the proxy.
  const sent = await through(ports.https, A, 'POST', '/api/v1/auth/send-otp', { phone: phone(0) })
  assert.equal(sent.status, 200, JSON.stringify(sent.json))
  const verified = await through(ports.https, A, 'POST', '/api/v1/auth/verify-otp', {
    phone: phone(0),
    code: ta.sms.codeFor(phone(0)),
  })
  assert.equal(verified.status, 200, JSON.stringify(verified.json))
  assert.equal(typeof verified.json.access_token, 'string')

  // Rider A uses up the five sends a minute, each time forging a different X-Forwarded-For.
  for (let i = 1; i <= 4; i++) {
    const r = await through(
      ports.https,
      A,
      'POST',
      '/api/v1/auth/send-otp',
      { phone: phone(i) },
      {
        'x-forwarded-for': `203.0.113.${i}`,
      },
    )
    assert.equal(r.status, 200, JSON.stringify(r.json))
  }
  const limited = await through(
    ports.https,
    A,
    'POST',
    '/api/v1/auth/send-otp',
    { phone: phone(5) },
    {
      'x-forwarded-for': '198.51.100.7',
    },
  )
  assert.equal(limited.status, 429)
  // Rider B, behind the same proxy, is not limited by A.
  const other = await through(ports.https, B, 'POST', '/api/v1/auth/send-otp', { phone: phone(6) })
  assert.equal(other.status, 200, JSON.stringify(other.json))

  // The addresses the service recorded: the riders' own, never the proxy's nor the forged ones.
  await ta.app.otpEvents.flush()
  const ips = await ta.app.storage.db.db
    .selectFrom('otp_events')
    .select('ip')
    .where('kind', '=', 'sent')
    .execute()
  assert.deepEqual(ips.map((r) => r.ip).sort(), [A, A, A, A, A, B])

  // The metrics are not served to the world through the proxy.
  assert.equal((await through(ports.https, A, 'GET', '/metrics')).status, 404)

  // Plain HTTP only redirects to HTTPS.
  const plain = await fetch(`http://127.0.0.1:${ports.http}/api/v1/auth/send-otp`, { redirect: 'manual' })
  assert.equal(plain.status, 301)
  assert.match(plain.headers.get('location') ?? '', /^https:\/\//)
})
