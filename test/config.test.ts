import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { EnvSchema, loadConfig } from '../src/config.js'
import { configProblems } from './helpers.js'

const problems = configProblems

test('defaults: port 8080, SQLite, development mode with a generated secret', () => {
  const c = loadConfig({})
  assert.equal(c.http.port, 8080)
  assert.equal(c.http.host, '127.0.0.1', 'development listens on this machine only')
  assert.equal(c.env, 'development')
  assert.equal(c.startup.strict, false)
  assert.deepEqual(c.database, { kind: 'sqlite', path: './data/royal-taxi.db' })
  assert.equal(c.redis, null)
  assert.equal(c.devMode, true)
  assert.equal(c.secretKeyGenerated, true)
  assert.ok(c.secretKey.length >= 32)
  assert.notEqual(loadConfig({}).secretKey, c.secretKey, 'a new key per start')
  assert.deepEqual(c.otp, {
    length: 6,
    ttlSeconds: 300,
    maxAttempts: 5,
    resendSeconds: 60,
    ipLimitPerMinute: 5,
  })
  assert.deepEqual([...(c.allowedCountries as Set<string>)], ['UZ'])
  assert.equal(c.log.file, 'logs/app.log')
  assert.equal(c.defaultLanguage, 'uz')
  assert.ok(Object.isFrozen(c))
})

test('HOST: 127.0.0.1 unless set, 0.0.0.0 in production; STRICT_STARTUP is a boolean', () => {
  assert.equal(loadConfig({ APP_ENV: 'test' }).http.host, '127.0.0.1')
  assert.equal(loadConfig({ HOST: '0.0.0.0' }).http.host, '0.0.0.0')
  const prod = {
    APP_ENV: 'production',
    SECRET_KEY: 'Qm4v9Zr2Lx7Kp1Wd8Ns3Hy6Tb0Jc5Fg-Ue_AoViRlXk',
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'b'.repeat(32),
    TWILIO_PHONE_NUMBER: '+15005550006',
  }
  assert.equal(loadConfig(prod).http.host, '0.0.0.0')
  assert.equal(loadConfig({ ...prod, HOST: '10.0.0.5' }).http.host, '10.0.0.5')
  assert.equal(loadConfig({ STRICT_STARTUP: 'true' }).startup.strict, true)
  assert.match(problems({ STRICT_STARTUP: 'yes' }).join('\n'), /^STRICT_STARTUP: expected true/m)
})

test('every bad setting is listed at once', () => {
  const list = problems({
    PORT: 'eighty',
    APP_ENV: 'staging',
    DATABASE_URL: 'mysql://x',
    OTP_LENGTH: '3',
    OTP_TTL_SECONDS: '90',
    ALLOWED_COUNTRIES: 'UZ;RU',
    DEFAULT_LANGUAGE: 'de',
    TWILIO_ENABLED: 'maybe',
  })
  for (const key of [
    'PORT',
    'APP_ENV',
    'DATABASE_URL',
    'OTP_LENGTH',
    'OTP_TTL_SECONDS',
    'ALLOWED_COUNTRIES',
    'DEFAULT_LANGUAGE',
    'TWILIO_ENABLED',
  ])
    assert.ok(
      list.some((p) => p.startsWith(`${key}:`)),
      `${key} missing from ${list.join(' | ')}`,
    )
  assert.ok(
    list.some((p) => p.includes('"eighty"')),
    'the bad value is shown',
  )
  assert.deepEqual(problems({ ALLOWED_COUNTRIES: 'UZ,XX' }), ['ALLOWED_COUNTRIES: unknown country code "XX"'])
})

test('a short SECRET_KEY is refused and its value never echoed', () => {
  const list = problems({ SECRET_KEY: 'hunter2' })
  assert.equal(list.length, 1)
  assert.match(list[0] as string, /^SECRET_KEY:/)
  assert.ok(!list[0]?.includes('hunter2'))
})

test('production requires SECRET_KEY and a real SMS provider', () => {
  const list = problems({ APP_ENV: 'production' })
  assert.ok(list.some((p) => p.startsWith('SECRET_KEY: required in production')))
  assert.ok(list.some((p) => p.startsWith('SMS: no SMS provider is enabled')))
})

test('empty values mean "not set"', () => {
  const c = loadConfig({ REDIS_URL: '', SECRET_KEY: ' ', PORT: '' })
  assert.equal(c.redis, null)
  assert.equal(c.http.port, 8080)
  assert.equal(c.secretKeyGenerated, true)
})

test('.env.example documents every setting', () => {
  const example = readFileSync('.env.example', 'utf8')
  for (const key of Object.keys(EnvSchema.properties))
    assert.match(example, new RegExp(`^#? ?${key}=`, 'm'), `${key} is not in .env.example`)
})

test('the server refuses to start on a bad setting: one message listing every problem, exit code 1', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      APP_ENV: 'production',
      TWILIO_ENABLED: 'true',
      TWILIO_AUTH_TOKEN: 'tok-secret-123',
    },
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 1)
  assert.match(run.stderr, /^Invalid configuration:/m)
  for (const key of ['TWILIO_ACCOUNT_SID', 'TWILIO_PHONE_NUMBER', 'SECRET_KEY'])
    assert.match(run.stderr, new RegExp(`- ${key}:`))
  assert.ok(!run.stderr.includes('tok-secret-123'))
  assert.ok(!run.stderr.includes('    at '), 'no stack trace')
})
