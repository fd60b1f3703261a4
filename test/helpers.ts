import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import pg from 'pg'
import type { SmsPrice } from '../src/abuse/guard.js'
import { buildApp } from '../src/app.js'
import {
  type SendResult,
  SmsError,
  type SmsErrorKind,
  type SmsMessage,
  type SmsProvider,
} from '../src/channels/provider.js'
import { type Config, ConfigError, loadConfig } from '../src/config.js'
import type { DatabaseHandle } from '../src/db/index.js'
import type { OtpEventsLimits } from '../src/otp/events.js'

export const SECRET = 'test-secret-key-that-is-long-enough-0123456789'

/** Collects the JSON log lines an app writes, for asserting on exact messages. */
export class LogCapture extends Writable {
  readonly lines: { level: number; msg: string; [k: string]: unknown }[] = []
  readonly raw: string[] = []
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue
      this.raw.push(line)
      this.lines.push(JSON.parse(line))
    }
    done()
  }
  messages(): string[] {
    return this.lines.map((l) => l.msg)
  }
  text(): string {
    return this.raw.join('\n')
  }
}

/** A gateway that records what it was asked to send, and fails on demand. */
export class FakeSms implements SmsProvider {
  readonly sent: SmsMessage[] = []
  failWith: SmsError | null = null
  delayMs = 0
  private seq = 0
  constructor(readonly name = 'fake') {}

  fail(kind: SmsErrorKind, message = `fake ${kind}`): void {
    this.failWith = new SmsError(kind, message)
  }

  async send(message: SmsMessage, signal: AbortSignal): Promise<SendResult> {
    if (this.delayMs)
      await new Promise((r, j) => {
        const t = setTimeout(r, this.delayMs)
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t)
            j(signal.reason)
          },
          { once: true },
        )
      })
    if (this.failWith) throw this.failWith
    this.sent.push(message)
    return { providerMessageId: `FAKE${++this.seq}`, status: 'queued' }
  }

  /** The code in the last SMS to `to`. */
  codeFor(to: string): string {
    const msg = this.sent.filter((m) => m.to === to).at(-1)
    const code = msg?.text.match(/\d{4,10}/)?.[0]
    if (!code) throw new Error(`no SMS was sent to ${to}`)
    return code
  }
}

export interface Backend {
  name: string
  /** Settings to add to the environment; null when the backend is not available. */
  env: (t: TestContext) => Promise<Record<string, string>>
  skip: string | false
}

export const pgUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined
export const redisUrl = process.env.REDIS_URL

/**
 * A fresh PostgreSQL schema for one test. Schemas are dropped by scripts/test.mjs once the whole run is over:
 * dropping one while another test file migrates makes Kysely's introspection (which lists every schema's
 * tables) fail with "schema does not exist".
 */
export async function postgresSchema(_t: TestContext): Promise<string> {
  const schema = `test_${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: pgUrl })
  await client.connect()
  await client.query(`create schema ${schema}`)
  await client.end()
  const url = new URL(pgUrl as string)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

/**
 * The storage backends every storage-dependent suite runs against: embedded SQLite always; PostgreSQL and
 * Redis (with PostgreSQL or SQLite underneath) when their URLs are set.
 */
export const BACKENDS: Backend[] = [
  { name: 'sqlite', skip: false, env: async () => ({}) },
  {
    name: 'postgres',
    skip: pgUrl ? false : 'DATABASE_URL does not point at PostgreSQL',
    env: async (t) => ({ DATABASE_URL: await postgresSchema(t) }),
  },
  {
    name: 'redis',
    skip: redisUrl ? false : 'REDIS_URL is not set',
    env: async () => ({
      REDIS_URL: redisUrl as string,
      REDIS_KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
    }),
  },
]

export function testConfig(env: Record<string, string> = {}, dir?: string): Config {
  const tmp = dir ?? mkdtempSync(join(tmpdir(), 'royal-taxi-'))
  return loadConfig({
    APP_ENV: 'test',
    DATABASE_URL: `sqlite:${join(tmp, 'test.db')}`,
    LOG_FILE: '-',
    LOG_LEVEL: 'info',
    SECRET_KEY: SECRET,
    ...env,
  })
}

export interface TestApp {
  app: FastifyInstance
  sms: FakeSms
  logs: LogCapture
  config: Config
  dir: string
}

/**
 * Builds the app on a temporary SQLite database (or the backend's env) with a fake SMS gateway, or with
 * `configuredProviders` the providers its settings enable, exactly as the server would (e.g. Twilio pointed
 * at a mock through TWILIO_API_BASE_URL).
 */
export async function buildTestApp(
  t: TestContext,
  options: {
    env?: Record<string, string>
    providers?: SmsProvider[]
    configuredProviders?: boolean
    dir?: string
    keepDir?: boolean
    smsPrice?: SmsPrice
    otpEventLimits?: OtpEventsLimits
  } = {},
): Promise<TestApp> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'royal-taxi-'))
  const config = testConfig(options.env, dir)
  const sms = new FakeSms()
  const logs = new LogCapture()
  const app = await buildApp(config, {
    ...(options.configuredProviders ? {} : { smsProviders: options.providers ?? [sms] }),
    logDestination: logs,
    ...(options.smsPrice ? { smsPrice: options.smsPrice } : {}),
    ...(options.otpEventLimits ? { otpEventLimits: options.otpEventLimits } : {}),
  })
  t.after(async () => {
    await app.close()
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true })
  })
  return { app, sms, logs, config, dir }
}

/** The app's Redis connection (the app must have been built with REDIS_URL). */
export function redisOf(ta: TestApp) {
  const redis = ta.app.storage.redis
  assert.ok(redis, 'the app has no Redis connection')
  return redis
}

/** Counts the writes on the app's Redis connection: one per round trip (ioredis pipelines a turn's commands). */
export function countRedisWrites(ta: TestApp, t: TestContext): { writes: number } {
  const redis = redisOf(ta)
  const counter = { writes: 0 }
  const write = redis.stream.write.bind(redis.stream) as (...args: unknown[]) => boolean
  redis.stream.write = ((...args: unknown[]) => {
    counter.writes++
    return write(...args)
  }) as typeof redis.stream.write
  t.after(() => {
    redis.stream.write = write as typeof redis.stream.write
  })
  return counter
}

export async function post(
  app: FastifyInstance,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return await app.inject({ method: 'POST', url, payload: body as object, headers })
}

/** Settings of a real (non-development) SMS setup; the tests still replace the gateway with a fake. */
export const LIVE_SMS = {
  TWILIO_ENABLED: 'true',
  TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'b'.repeat(32),
  TWILIO_PHONE_NUMBER: '+15005550006',
}

/** A SECRET_KEY strong enough for APP_ENV=production. */
export const STRONG_SECRET = 'Qm4v9Zr2Lx7Kp1Wd8Ns3Hy6Tb0Jc5Fg-Ue_AoViRlXk'

/** Sends a code and verifies it; returns the sign-in response body. */
export async function signIn(t: TestApp, phone = '+998901234567') {
  const sent = await post(t.app, '/api/v1/auth/send-otp', { phone })
  if (sent.statusCode !== 200) throw new Error(`send-otp: ${sent.statusCode} ${sent.body}`)
  const res = await post(t.app, '/api/v1/auth/verify-otp', { phone, code: t.sms.codeFor(phone) })
  if (res.statusCode !== 200) throw new Error(`verify-otp: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** The problems loadConfig reports for `env` (empty when it is valid). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

/** The names of a table's indexes (in the current schema on PostgreSQL), sorted. */
export async function indexesOf(handle: DatabaseHandle, table: string): Promise<string[]> {
  const query =
    handle.kind === 'postgres'
      ? sql<{ name: string }>`select indexname as name from pg_indexes
          where schemaname = current_schema() and tablename = ${table}`
      : sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = ${table}`
  return (await query.execute(handle.db)).rows.map((r) => r.name).sort()
}

/** The names of the tables (in the current schema on PostgreSQL), sorted. */
export async function tablesOf(handle: DatabaseHandle): Promise<string[]> {
  const query =
    handle.kind === 'postgres'
      ? sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema()`
      : sql<{ name: string }>`select name from sqlite_master where type = 'table'`
  return (await query.execute(handle.db)).rows.map((r) => r.name).sort()
}
