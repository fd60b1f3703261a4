// Twilio settings: a broken credential stops start-up with every problem listed at once, and the Auth
// Token is never echoed.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.js'
import { ACCOUNT_SID, AUTH_TOKEN, DIRECT, FROM, MESSAGING_SERVICE_SID } from './twilio-fakes.js'

const SECRET_KEY = 'a-production-secret-key-of-48-characters-0123456'

/** loadConfig's error, or a failure if it accepted the settings. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  assert.fail(`accepted ${JSON.stringify(env)}`)
}

const keys = (err: ConfigError) => err.problems.map((p) => p.slice(0, p.indexOf(':')))

test('TWILIO_ENABLED=true with a malformed SID, no token and a non-E.164 number: all three at once', () => {
  const err = configError({
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: 'AC123',
    TWILIO_PHONE_NUMBER: '998901234567',
  })
  assert.deepEqual(keys(err), ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER'])
  assert.deepEqual(err.problems, [
    'TWILIO_ACCOUNT_SID: expected AC followed by 32 hexadecimal digits (got "AC123")',
    'TWILIO_AUTH_TOKEN: required when TWILIO_ENABLED=true',
    'TWILIO_PHONE_NUMBER: expected an E.164 number such as +15017122661 (got "998901234567")',
  ])
  // One message for the operator, one line per problem.
  assert.equal(err.message.split('\n').length, 4)
  assert.match(err.message, /^Invalid configuration:\n {2}- TWILIO_ACCOUNT_SID:/)
})

test('TWILIO_ENABLED=true with nothing else: every missing credential is named', () => {
  const err = configError({ TWILIO_ENABLED: 'true' })
  assert.deepEqual(err.problems, [
    'TWILIO_ACCOUNT_SID: required when TWILIO_ENABLED=true',
    'TWILIO_AUTH_TOKEN: required when TWILIO_ENABLED=true',
    'TWILIO_PHONE_NUMBER: required when TWILIO_ENABLED=true (or set TWILIO_MESSAGING_SERVICE_SID)',
  ])
  // Empty lines in .env (`TWILIO_AUTH_TOKEN=`) count as missing, not as an empty token.
  assert.deepEqual(
    configError({
      TWILIO_ENABLED: 'true',
      TWILIO_ACCOUNT_SID: ' ',
      TWILIO_AUTH_TOKEN: '',
      TWILIO_PHONE_NUMBER: '',
    }).problems,
    err.problems,
  )
})

test('the Auth Token is never in the error text, whether malformed or beside other problems', () => {
  for (const token of ['not-the-real-token-but-secret!', '••••••••••••••••', AUTH_TOKEN.slice(0, 16)]) {
    const err = configError({
      APP_ENV: 'production',
      TWILIO_ENABLED: 'true',
      TWILIO_ACCOUNT_SID: 'SK0123456789abcdef0123456789abcdef',
      TWILIO_AUTH_TOKEN: token,
      TWILIO_PHONE_NUMBER: 'RoyalTaxi',
      TWILIO_API_BASE_URL: 'api.twilio.com',
    })
    assert.deepEqual(keys(err), [
      'TWILIO_API_BASE_URL',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_PHONE_NUMBER',
      'SECRET_KEY',
    ])
    assert.ok(
      err.problems.includes(
        'TWILIO_AUTH_TOKEN: expected the 32 hexadecimal characters of the Auth Token from the Twilio console (value not shown)',
      ),
    )
    assert.ok(!err.message.includes(token), err.message)
    assert.ok(!String(err.stack).includes(token))
  }
  // A right token next to a wrong setting is not shown either.
  const err = configError({
    TWILIO_ENABLED: 'true',
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: FROM,
  })
  assert.deepEqual(keys(err), ['TWILIO_ACCOUNT_SID'])
  assert.ok(!err.message.includes(AUTH_TOKEN))
})

test('SIDs: AC + 32 hex digits (either case); API key SIDs, short and non-hex ones are refused', () => {
  const base = { TWILIO_ENABLED: 'true', TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: FROM }
  for (const sid of [
    'SK0123456789abcdef0123456789abcdef',
    'AC0123456789abcdef0123456789abcde',
    'AC0123456789abcdef0123456789abcdef0',
    `AC${'g'.repeat(32)}`,
    `ac${'0'.repeat(32)}`,
  ])
    assert.deepEqual(keys(configError({ ...base, TWILIO_ACCOUNT_SID: sid })), ['TWILIO_ACCOUNT_SID'], sid)
  for (const sid of [ACCOUNT_SID, `AC${ACCOUNT_SID.slice(2).toUpperCase()}`])
    assert.equal(loadConfig({ ...base, TWILIO_ACCOUNT_SID: sid }).sms.twilio?.accountSid, sid)
})

test('the sender: an E.164 number, or a Messaging Service SID instead', () => {
  const base = { TWILIO_ENABLED: 'true', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN }
  for (const number of ['+1 501 712 2661', '15017122661', '+05017122661', '+1501712266123456', 'RoyalTaxi'])
    assert.deepEqual(
      keys(configError({ ...base, TWILIO_PHONE_NUMBER: number })),
      ['TWILIO_PHONE_NUMBER'],
      number,
    )
  assert.deepEqual(keys(configError({ ...base, TWILIO_MESSAGING_SERVICE_SID: 'MG123' })), [
    'TWILIO_MESSAGING_SERVICE_SID',
  ])

  const service = loadConfig({ ...base, TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE_SID })
  assert.deepEqual(service.sms.twilio, {
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    phoneNumber: null,
    messagingServiceSid: MESSAGING_SERVICE_SID,
    baseUrl: 'https://api.twilio.com',
    statusCallback: null,
    http: DIRECT,
  })
  assert.equal(service.devMode, false)
})

test('TWILIO_API_BASE_URL: an http(s) URL, trailing slashes dropped', () => {
  const env = {
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: FROM,
  }
  assert.equal(
    loadConfig({ ...env, TWILIO_API_BASE_URL: 'http://127.0.0.1:4010//' }).sms.twilio?.baseUrl,
    'http://127.0.0.1:4010',
  )
  for (const url of ['api.twilio.com', 'ftp://api.twilio.com', 'https://'])
    assert.deepEqual(keys(configError({ ...env, TWILIO_API_BASE_URL: url })), ['TWILIO_API_BASE_URL'], url)
})

test('TWILIO_ENABLED=false ignores half-filled Twilio settings: development mode', () => {
  const c = loadConfig({ TWILIO_ENABLED: 'false', TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'x' })
  assert.equal(c.sms.twilio, null)
  assert.equal(c.devMode, true)
})

test('production: refused without an SMS provider; starts with Twilio configured', () => {
  const err = configError({ APP_ENV: 'production', SECRET_KEY })
  assert.deepEqual(err.problems, [
    'SMS: no SMS provider is enabled; production refuses to start in development mode, where codes are shown in responses (enable one of TWILIO_ENABLED, ESKIZ_ENABLED, PLAYMOBILE_ENABLED or set HTTP_SMS_URL)',
  ])
  assert.deepEqual(keys(configError({ APP_ENV: 'production', SECRET_KEY, TWILIO_ENABLED: 'false' })), ['SMS'])

  const c = loadConfig({
    APP_ENV: 'production',
    SECRET_KEY,
    TWILIO_ENABLED: 'true',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: FROM,
  })
  assert.equal(c.env, 'production')
  assert.equal(c.devMode, false)
  assert.equal(c.sms.twilio?.phoneNumber, FROM)
})

test('the Twilio guides explain every Twilio start-up problem, word for word', () => {
  const guides = ['docs/twilio-guide.en.md', 'docs/twilio-guide.uz.md'].map((f) => [
    f,
    readFileSync(f, 'utf8'),
  ])
  const found = new Set<string>()
  // Values differ per installation; the guides write them as "…". Long texts are quoted up to a ";".
  for (const env of <Record<string, string>[]>[
    { TWILIO_ENABLED: 'true' },
    { TWILIO_ENABLED: 'maybe', SMS_TIMEOUT_MS: '1', TWILIO_API_BASE_URL: 'x' },
    {
      TWILIO_ENABLED: 'true',
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 'x',
      TWILIO_PHONE_NUMBER: '1',
      TWILIO_MESSAGING_SERVICE_SID: 'MG1',
    },
    { APP_ENV: 'production', SECRET_KEY },
  ])
    for (const problem of configError(env).problems)
      found.add(problem.replace(/\(got ".*"\)$/, '(got "…")').split(';')[0] as string)
  assert.equal(found.size, 11)
  for (const [file, text] of guides)
    for (const problem of found) assert.ok(text?.includes(`\`${problem}`), `${file} lacks ${problem}`)
})
