import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { run } from '../../src/cli/program.js'
import { migrationProvider } from '../../src/db/migrations/index.js'
import { SECRET } from '../helpers.js'
import {
  ACCOUNT_SID,
  type ReceivedRequest,
  type RecordingServer,
  recordingServer,
} from '../sms/twilio-fakes.js'

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
    /** What the person at the terminal types when asked; no terminal when absent. */
    answer?: string
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
      ...(options.answer !== undefined ? { ask: async () => options.answer as string } : {}),
      exitCode: 0,
    },
  )
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

/**
 * Runs `royal-taxi <args>` as a process of its own (the TypeScript source through tsx), with only `env`
 * and the PATH: for a test that runs the service in this process, whose event loop a CLI run here would hold
 * while it waits for a database lock.
 */
export function runCliProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout: stdout.replace(/\n$/, ''), stderr: stderr.replace(/\n$/, '') })
      },
    )
  })
}

export interface FakeResponse {
  status: number
  body: unknown
}

/**
 * A stand-in for api.twilio.com on a recording server: answers the account, balance and message endpoints
 * with whatever the test set, and records each request.
 */
export class FakeTwilio {
  account: FakeResponse = {
    status: 200,
    body: { sid: ACCOUNT_SID, status: 'active', type: 'Full', friendly_name: 'Royal Taxi' },
  }
  balance: FakeResponse = { status: 200, body: { balance: '125.50', currency: 'USD' } }
  message: FakeResponse = {
    status: 201,
    body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' },
  }
  private server: RecordingServer | null = null

  get url(): string {
    return this.server?.url ?? ''
  }

  get requests(): ReceivedRequest[] {
    return this.server?.requests ?? []
  }

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
    this.server = await recordingServer(t, (req, res) => {
      const answer = req.path.endsWith('/Balance.json')
        ? this.balance
        : req.path.endsWith('/Messages.json')
          ? this.message
          : /^\/2010-04-01\/Accounts\/[^/]+\.json$/.test(req.path)
            ? this.account
            : { status: 404, body: { code: 20404, message: 'not found', status: 404 } }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
    })
    return this
  }
}

/** The names of every migration, in order, as the code knows them (other features add theirs). */
export async function migrationNames(): Promise<string[]> {
  return Object.keys(await migrationProvider({ dialect: 'sqlite' }).getMigrations())
}
