import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import pg from 'pg'
import { BACKENDS, SECRET } from '../helpers.js'

// Two real server processes (src/server.ts) on two ports, sharing one PostgreSQL schema and one Redis key
// prefix, as two instances behind a load balancer would. Everything is asserted through HTTP and the shared
// database, never through either process's memory.

const ROOT = join(import.meta.dirname, '..', '..')
const [, postgres, redis] = BACKENDS as [unknown, (typeof BACKENDS)[number], (typeof BACKENDS)[number]]
const skip = postgres.skip || redis.skip

interface Instance {
  url: string
  proc: ChildProcess
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function startInstance(t: TestContext, env: Record<string, string>): Promise<Instance> {
  const port = await freePort()
  // Its own working directory: no .env of the checkout is read.
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-instance-'))
  const proc = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(ROOT, 'src', 'server.ts')],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  t.after(async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`instance exited with ${proc.exitCode}: ${stderr}`)
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return { url, proc }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`instance on ${url} did not become ready: ${stderr}`)
}

async function call(
  instance: Instance,
  method: string,
  path: string,
  body?: object,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${instance.url}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

// The instances sit behind a (pretend) proxy: each test speaks from its own client address, so the per-IP
// limit one test uses up does not touch another's.
const from = (ip: string) => ({ 'x-forwarded-for': ip })

test('two instances sharing PostgreSQL and Redis behave as one service', { skip }, async (t) => {
  const shared: Record<string, string> = {
    ...(await postgres.env(t)),
    ...(await redis.env(t)),
    APP_ENV: 'development',
    SECRET_KEY: SECRET,
    LOG_FILE: '-',
    LOG_LEVEL: 'warn',
    TRUST_PROXY: 'true',
    OTP_IP_LIMIT_PER_MINUTE: '5',
    OTP_RESEND_SECONDS: '60',
  }
  const db = new pg.Pool({ connectionString: shared.DATABASE_URL, max: 2 })
  t.after(() => db.end())
  // Started together, as a deployment starts them: both migrate the same empty schema at once.
  const [a, b] = (await Promise.all([startInstance(t, shared), startInstance(t, shared)])) as [
    Instance,
    Instance,
  ]
  const both = [a, b]
  const sign = { phone: '+998901110001', user: null as null | { id: number }, access: '', refresh: '' }

  await t.test('a code sent through one instance verifies through the other', async () => {
    const sent = await call(a, 'POST', '/api/v1/auth/send-otp', { phone: sign.phone }, from('198.51.100.1'))
    assert.equal(sent.status, 200)
    const verified = await call(b, 'POST', '/api/v1/auth/verify-otp', {
      phone: sign.phone,
      code: sent.body.otp_code,
    })
    assert.equal(verified.status, 200)
    assert.equal(verified.body.is_new_user, true)
    sign.user = verified.body.user
    sign.access = verified.body.access_token
    sign.refresh = verified.body.refresh_token
    // Used once, through either instance.
    const again = await call(a, 'POST', '/api/v1/auth/verify-otp', {
      phone: sign.phone,
      code: sent.body.otp_code,
    })
    assert.equal(again.status, 400)
    assert.equal(again.body.code, 'OTP_EXPIRED')
  })

  await t.test('the per-number cooldown holds across both: 20 concurrent requests, one code', async () => {
    const phone = '+998901110002'
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(
          both[i % 2] as Instance,
          'POST',
          '/api/v1/auth/send-otp',
          { phone },
          from(`198.51.100.${10 + i}`),
        ),
      ),
    )
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, ...Array(19).fill(429)])
    for (const r of answers.filter((x) => x.status === 429)) assert.equal(r.body.code, 'OTP_RESEND_COOLDOWN')
    const { rows } = await db.query('select count(*)::int as n from sms_log where phone = $1', [phone])
    assert.equal(rows[0].n, 1)
  })

  await t.test('the per-IP limit holds across both: 5 a minute in total, not 5 per instance', async () => {
    const phones = Array.from({ length: 16 }, (_, i) => `+9989022200${String(i).padStart(2, '0')}`)
    const answers = await Promise.all(
      phones.map((phone, i) =>
        call(both[i % 2] as Instance, 'POST', '/api/v1/auth/send-otp', { phone }, from('203.0.113.7')),
      ),
    )
    const statuses = answers.map((r) => r.status)
    assert.equal(statuses.filter((s) => s === 200).length, 5)
    assert.equal(statuses.filter((s) => s === 429).length, 11)
    for (const r of answers.filter((x) => x.status === 429)) assert.equal(r.body.code, 'RATE_LIMITED')
    const { rows } = await db.query('select count(*)::int as n from sms_log where phone = any($1)', [phones])
    assert.equal(rows[0].n, 5)
  })

  await t.test('a refresh token rotated on one instance is refused on the other', async () => {
    const rotated = await call(a, 'POST', '/api/v1/auth/refresh', { refresh_token: sign.refresh })
    assert.equal(rotated.status, 200)
    const reused = await call(b, 'POST', '/api/v1/auth/refresh', { refresh_token: sign.refresh })
    assert.equal(reused.status, 401)
    assert.equal(reused.body.code, 'REFRESH_TOKEN_REUSED')
    // Reuse revoked the whole family, the successor issued by the first instance included.
    const successor = await call(a, 'POST', '/api/v1/auth/refresh', {
      refresh_token: rotated.body.refresh_token,
    })
    assert.equal(successor.status, 401)
    assert.equal(successor.body.code, 'REFRESH_TOKEN_INVALID')
  })

  await t.test('users and the SMS log are one', async () => {
    const auth = { authorization: `Bearer ${sign.access}` }
    const renamed = await call(a, 'PATCH', '/api/v1/users/me', { full_name: 'Aziz Karimov' }, auth)
    assert.equal(renamed.status, 200)
    const seen = await call(b, 'GET', '/api/v1/users/me', undefined, auth)
    assert.deepEqual(seen.body, { ...sign.user, full_name: 'Aziz Karimov' })

    // A second person: the code is asked for through B, the sign-in happens through A.
    const phone = '+998901110003'
    const sent = await call(b, 'POST', '/api/v1/auth/send-otp', { phone }, from('198.51.100.50'))
    const verified = await call(a, 'POST', '/api/v1/auth/verify-otp', { phone, code: sent.body.otp_code })
    assert.equal(verified.status, 200)
    const users = await db.query('select phone from users order by id')
    assert.deepEqual(
      users.rows.map((r) => r.phone),
      [sign.phone, phone],
    )
    // Every code either instance sent is in the one log: 1 + 1 + 5 + 1.
    const log = await db.query("select count(*)::int as n from sms_log where status = 'sent'")
    assert.equal(log.rows[0].n, 8)
  })
})
