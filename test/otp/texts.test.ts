import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  APPS,
  type AutofillSettings,
  CLIENTS,
  NO_AUTOFILL,
  smsText,
  textVariants,
} from '../../src/otp/texts.js'
import { countSegments } from '../../src/pricing.js'
import { buildTestApp, configProblems, post, testConfig } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const PHONE = '+998901234567'
const HASHES = { passenger: 'FA+9qCX9VSu', driver: 'Jv7dY0oQdEf' }
const AUTOFILL: AutofillSettings = { androidAppHashes: HASHES, webOtpDomain: 'royaltaxi.uz' }
const AUTOFILL_ENV = {
  ANDROID_APP_HASHES: 'passenger:FA+9qCX9VSu,driver:Jv7dY0oQdEf',
  WEBOTP_DOMAIN: 'royaltaxi.uz',
}

// The seed's texts, byte for byte (the Python service's): what every SMS says without autofill settings.
const SEED = {
  uz: "Royal Taxi tasdiqlash kodi: 123456\nKod 5 daqiqa davomida amal qiladi.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring.",
  ru: 'Код подтверждения Royal Taxi: 123456\nКод действителен 5 минут.\nЕсли вы не запрашивали этот код, проигнорируйте это сообщение.',
  en: 'Royal Taxi verification code: 123456\nThe code is valid for 5 minutes.\nIf you did not request this code, please ignore this message.',
} as const

test('without the settings every language, client and app gets the seed text, byte for byte', () => {
  for (const lang of ['uz', 'ru', 'en'] as const) {
    assert.equal(smsText(NO_AUTOFILL, lang, '123456', 5), SEED[lang])
    for (const client of CLIENTS)
      for (const app of APPS)
        assert.equal(smsText(NO_AUTOFILL, lang, '123456', 5, { client, app }), SEED[lang])
    // With the settings, a request that names no client is not changed either.
    assert.equal(smsText(AUTOFILL, lang, '123456', 5), SEED[lang])
  }
  // The apostrophes are ASCII (GSM-7), not the Uzbek modifier letter ʻ or a typographic ’.
  assert.equal(countSegments(SEED.uz).encoding, 'GSM-7')
  assert.equal(testConfig().autofill.webOtpDomain, null)
  assert.deepEqual(testConfig().autofill.androidAppHashes, {})
})

test("each client's SMS ends with its own line: the app's hash for Android, @domain #code for iOS and the web", () => {
  assert.equal(
    smsText(AUTOFILL, 'uz', '123456', 5, { client: 'android', app: 'driver' }),
    "Royal Taxi tasdiqlash kodi: 123456\nKod 5 daqiqa amal qiladi. So'ramagan bo'lsangiz, e'tibor bermang.\nJv7dY0oQdEf",
  )
  assert.equal(
    smsText(AUTOFILL, 'en', '123456', 5, { client: 'android' }).split('\n').at(-1),
    HASHES.passenger,
  )
  for (const client of ['ios', 'web'] as const)
    assert.equal(
      smsText(AUTOFILL, 'ru', '123456', 5, { client, app: 'driver' }),
      'Код Royal Taxi: 123456\nДействует 5 минут. Если вы его не запрашивали, проигнорируйте SMS.\n@royaltaxi.uz #123456',
    )
  // Only one of the settings: the other clients keep the seed text.
  const webOnly = { androidAppHashes: {}, webOtpDomain: 'royaltaxi.uz' }
  assert.equal(smsText(webOnly, 'uz', '123456', 5, { client: 'android' }), SEED.uz)
  const driverOnly = { androidAppHashes: { driver: HASHES.driver }, webOtpDomain: null }
  assert.equal(smsText(driverOnly, 'uz', '123456', 5, { client: 'android', app: 'passenger' }), SEED.uz)
  assert.equal(smsText(driverOnly, 'uz', '123456', 5, { client: 'web' }), SEED.uz)
})

test('every language × client × app text: uz and en one GSM-7 segment, ru at most two, at every code length and lifetime', () => {
  let checked = 0
  for (const digits of [4, 6, 10])
    for (const minutes of [1, 5, 10, 60]) {
      const code = '9'.repeat(digits)
      for (const lang of ['uz', 'ru', 'en'] as const)
        for (const client of CLIENTS)
          for (const app of APPS) {
            const text = smsText(AUTOFILL, lang, code, minutes, { client, app })
            const s = countSegments(text)
            const where = `${lang} ${client} ${app} ${digits} digits ${minutes} min: ${JSON.stringify(text)}`
            if (lang === 'ru') assert.ok(s.segments <= 2, where)
            else {
              assert.equal(s.encoding, 'GSM-7', where)
              assert.equal(s.segments, 1, where)
            }
            // The code is on the first line, and the line the phone reads is the last, on its own.
            assert.ok(text.split('\n')[0]?.endsWith(code), where)
            const last = text.split('\n').at(-1)
            assert.equal(last, client === 'android' ? HASHES[app] : `@royaltaxi.uz #${code}`, where)
            checked++
          }
    }
  assert.equal(checked, 3 * 4 * 3 * 3 * 2)
})

test('the variants the settings produce: one plain text per language, one per Android app, one for iOS and the web', () => {
  const variants = textVariants(AUTOFILL, '123456', 5)
  assert.equal(variants.length, 3 * 4)
  assert.deepEqual(
    variants.filter((v) => v.lang === 'uz').map((v) => [v.client, v.app]),
    [
      [null, null],
      ['android', 'passenger'],
      ['android', 'driver'],
      ['web', null],
    ],
  )
  assert.equal(textVariants(NO_AUTOFILL, '123456', 5).length, 3)
})

test('ANDROID_APP_HASHES and WEBOTP_DOMAIN are validated with clear problems', () => {
  const config = testConfig({ ...AUTOFILL_ENV, WEBOTP_DOMAIN: 'RoyalTaxi.uz' })
  assert.deepEqual(config.autofill, { androidAppHashes: HASHES, webOtpDomain: 'royaltaxi.uz' })
  const bad: [Record<string, string>, RegExp][] = [
    [{ ANDROID_APP_HASHES: 'passenger:short' }, /the passenger hash must be exactly 11 characters.*"short"/],
    [{ ANDROID_APP_HASHES: 'passenger:FA+9qCX9VS-' }, /exactly 11 characters of A-Z, a-z, 0-9, \+ and \//],
    [{ ANDROID_APP_HASHES: 'rider:FA+9qCX9VSu' }, /unknown app "rider" \(expected passenger or driver\)/],
    [{ ANDROID_APP_HASHES: 'FA+9qCX9VSu' }, /ANDROID_APP_HASHES: expected app:hash/],
    [{ ANDROID_APP_HASHES: 'driver:FA+9qCX9VSu,driver:Jv7dY0oQdEf' }, /driver is named twice/],
    [{ WEBOTP_DOMAIN: 'https://royaltaxi.uz' }, /WEBOTP_DOMAIN: expected a host name such as royaltaxi\.uz/],
    [{ WEBOTP_DOMAIN: 'royaltaxi' }, /WEBOTP_DOMAIN: expected a host name/],
    [{ WEBOTP_DOMAIN: 'royal_taxi.uz' }, /WEBOTP_DOMAIN: expected a host name/],
    [
      { WEBOTP_DOMAIN: 'auth.passengers.royal-taxi-company.uz', OTP_LENGTH: '10' },
      /WEBOTP_DOMAIN: with "@auth\.passengers\.royal-taxi-company\.uz #<code>" the ru SMS takes 3 UCS-2 segments \(144 characters\), more than the 2 it may: use a shorter domain/,
    ],
  ]
  for (const [env, expected] of bad) {
    const problems = configProblems(env)
    assert.ok(
      problems.some((p) => expected.test(p)),
      `${JSON.stringify(env)}: ${problems.join('; ')}`,
    )
  }
})

test('send-otp sends the client’s text; an unknown client or app is 422 VALIDATION_ERROR in the rider’s language', async (t) => {
  const ta = await buildTestApp(t, { env: { ...AUTOFILL_ENV, OTP_RESEND_SECONDS: '0' } })
  assert.equal((await post(ta.app, SEND, { phone: PHONE })).statusCode, 200)
  assert.equal(ta.sms.sent.at(-1)?.text, SEED.uz.replace('123456', ta.sms.codeFor(PHONE)))
  const android = await post(ta.app, SEND, { phone: PHONE, client: 'android', app: 'driver' })
  assert.equal(android.statusCode, 200)
  assert.equal(ta.sms.sent.at(-1)?.text.split('\n').at(-1), HASHES.driver)
  await post(ta.app, SEND, { phone: PHONE, client: 'web', language: 'en' })
  const code = ta.sms.codeFor(PHONE)
  assert.equal(
    ta.sms.sent.at(-1)?.text,
    `Royal Taxi verification code: ${code}\nValid for 5 minutes. If you did not request it, ignore this message.\n@royaltaxi.uz #${code}`,
  )
  const sent = ta.sms.sent.length
  const texts = {
    uz: ["Mijoz android, ios yoki web bo'lishi kerak.", "Ilova passenger yoki driver bo'lishi kerak."],
    ru: ['Клиент должен быть android, ios или web.', 'Приложение должно быть passenger или driver.'],
    en: ['The client must be android, ios or web.', 'The app must be passenger or driver.'],
  }
  for (const [language, [client, app]] of Object.entries(texts)) {
    const badClient = await post(ta.app, SEND, { phone: PHONE, client: 'windows', language })
    assert.equal(badClient.statusCode, 422)
    assert.equal(badClient.json().code, 'VALIDATION_ERROR')
    assert.equal(badClient.json().detail, client)
    assert.equal(badClient.json().errors[0].field, 'client')
    const badApp = await post(ta.app, SEND, { phone: PHONE, client: 'android', app: 'rider', language })
    assert.equal(badApp.statusCode, 422)
    assert.deepEqual([badApp.json().code, badApp.json().detail], ['VALIDATION_ERROR', app])
  }
  assert.equal(ta.sms.sent.length, sent, 'nothing is sent for a rejected request')
})
