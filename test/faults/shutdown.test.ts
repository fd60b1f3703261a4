import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

const SECRET = 'test-secret-key-that-is-long-enough-0123456789'

const SID = `AC${'1'.repeat(32)}`

/** A Twilio stand-in that answers a message only after `delayMs`, and says when a request has arrived. */
async function slowTwilio(t: { after: (fn: () => unknown) => void }, delayMs: number) {
  let arrived: () => void = () => {}
  const requestArrived = new Promise<void>((r) => {
    arrived = r
  })
  const server = createServer((req, res) => {
    req.resume()
    arrived()
    setTimeout(() => {
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ sid: `SM${'2'.repeat(32)}`, status: 'queued', account_sid: SID }))
    }, delayMs)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requestArrived }
}

/** Starts src/server.ts as a real process and resolves with its port once it listens. */
async function startServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr?.on('data', (c) => {
    out += c
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      out += chunk
      const m = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)))
  })
  return { child, port, output: () => out }
}

test('SIGTERM lets an in-flight request finish, then the process exits cleanly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const twilio = await slowTwilio(t, 1500)
  const { child, port, output } = await startServer({
    PORT: '0',
    HOST: '127.0.0.1',
    APP_ENV: 'test',
    DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
    LOG_FILE: '-',
    SECRET_KEY: SECRET,
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: SID,
    TWILIO_AUTH_TOKEN: 'c'.repeat(32),
    TWILIO_PHONE_NUMBER: '+15005550006',
    TWILIO_API_BASE_URL: twilio.url,
    SMS_TIMEOUT_MS: '10000',
  })
  t.after(() => child.kill('SIGKILL'))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))

  const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/auth/send-otp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone: '+998901234567' }),
  })
  await twilio.requestArrived
  const signalled = Date.now()
  child.kill('SIGTERM')

  const res = await inFlight
  assert.equal(res.status, 200, output())
  assert.equal(((await res.json()) as { phone: string }).phone, '+998901234567')
  assert.equal(await exited, 0, output())
  t.diagnostic(`exited ${Date.now() - signalled} ms after SIGTERM (the gateway answered after 1500 ms)`)
  // What the shutdown waited for, in the order it happened.
  assert.match(output(), /SIGTERM received: no new connections/)
  assert.match(output(), /Shutting down: waiting for 1 in-flight request\(s\)/)
  assert.match(output(), /Shut down in \d+ ms: /)
  await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'no new connections after shutdown')
})
