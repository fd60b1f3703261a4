import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestContext } from 'node:test'
import { run } from '../../src/cli/program.js'
import { SECRET } from '../helpers.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** A temporary directory with a .env file; the database defaults to a SQLite file inside it. */
export function workspace(t: TestContext, settings: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const envFile = join(dir, '.env')
  const write = (s: Record<string, string>) =>
    writeFileSync(
      envFile,
      Object.entries({
        DATABASE_URL: `sqlite:${join(dir, 'test.db')}`,
        SECRET_KEY: SECRET,
        LOG_FILE: '-',
        ...s,
      })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    )
  write(settings)
  return { dir, envFile, write, dbUrl: `sqlite:${join(dir, 'test.db')}` }
}

/**
 * Runs `royal-taxi <args>` in this process with the given .env and an otherwise empty environment, so the
 * developer's own environment never leaks into a test.
 */
export async function cli(
  args: string[],
  options: {
    envFile?: string
    env?: Record<string, string>
    signal?: AbortSignal
    onOut?: (line: string) => void
  } = {},
): Promise<CliResult> {
  const out: string[] = []
  const err: string[] = []
  const code = await run(
    ['node', 'royal-taxi', ...(options.envFile ? ['--env-file', options.envFile] : []), ...args],
    {
      out: (s) => {
        out.push(s)
        options.onOut?.(s)
      },
      err: (s) => err.push(s),
      processEnv: options.env ?? {},
      ...(options.signal ? { signal: options.signal } : {}),
      exitCode: 0,
    },
  )
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

export interface FakeResponse {
  status: number
  body: unknown
}

export interface SeenRequest {
  method: string
  url: string
  authorization: string | undefined
  body: string
}

/**
 * A stand-in for api.twilio.com: answers the account, balance and message endpoints with whatever the
 * test set, and records each request.
 */
export class FakeTwilio {
  readonly requests: SeenRequest[] = []
  account: FakeResponse = {
    status: 200,
    body: { sid: 'AC', status: 'active', type: 'Full', friendly_name: 'Royal Taxi' },
  }
  balance: FakeResponse = { status: 200, body: { balance: '125.50', currency: 'USD' } }
  message: FakeResponse = {
    status: 201,
    body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' },
  }
  private server: Server | null = null
  url = ''

  static unauthorized(): FakeResponse {
    return {
      status: 401,
      body: {
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      },
    }
  }

  async start(t: TestContext): Promise<this> {
    this.server = createServer((req: IncomingMessage, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          body,
        })
        const path = req.url ?? ''
        const answer = path.endsWith('/Balance.json')
          ? this.balance
          : path.endsWith('/Messages.json')
            ? this.message
            : /^\/2010-04-01\/Accounts\/[^/]+\.json$/.test(path)
              ? this.account
              : { status: 404, body: { code: 20404, message: 'not found', status: 404 } }
        res.writeHead(answer.status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(answer.body))
      })
    })
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    t.after(() => new Promise<void>((r) => this.server?.close(() => r())))
    return this
  }
}

export const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef'
export const TWILIO_TOKEN = 'fedcba9876543210fedcba9876543210'

export function twilioSettings(baseUrl: string): Record<string, string> {
  return {
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_PHONE_NUMBER: '+15017122661',
    TWILIO_API_BASE_URL: baseUrl,
  }
}

export const SHARED = resolve(import.meta.dirname, '../../../shared')

/**
 * Prism mocking a contract from ../shared, on a free port, for the whole file; null (skip the test) when the
 * contract is absent.
 */
export async function prism(spec: string, after: (fn: () => void) => void): Promise<string | null> {
  const path = join(SHARED, spec)
  if (!existsSync(path)) return null
  const port = 20000 + Math.floor(Math.random() * 20000)
  const child: ChildProcess = spawn(resolve('node_modules/.bin/prism'), ['mock', '-p', String(port), path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  after(() => child.kill())
  await new Promise<void>((ok, fail) => {
    let seen = ''
    child.stdout?.on('data', (c) => {
      seen += c
      if (seen.includes('Prism is listening')) ok()
    })
    child.on('exit', (code) => fail(new Error(`prism exited (${code}): ${seen.slice(-500)}`)))
  })
  return `http://127.0.0.1:${port}`
}
