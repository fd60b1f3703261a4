import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { countSegments, estimateCost } from '../../src/pricing.js'

const settings = (prices = '') => {
  const c = loadConfig({ APP_ENV: 'test', ...(prices ? { SMS_PRICES: prices } : {}) })
  return { prices: c.sms.prices, uzsPerUsd: c.sms.uzsPerUsd }
}

test('Latin texts are GSM-7: 160 characters in one segment, 153 per part beyond', () => {
  assert.deepEqual(countSegments('Royal Taxi tasdiqlash kodi: 123456'), {
    encoding: 'GSM-7',
    segments: 1,
    units: 34,
  })
  assert.equal(countSegments('a'.repeat(160)).segments, 1)
  assert.equal(countSegments('a'.repeat(161)).segments, 2)
  assert.equal(countSegments('a'.repeat(306)).segments, 2)
  assert.equal(countSegments('a'.repeat(307)).segments, 3)
  // The Uzbek code SMS (ASCII apostrophes) fits one segment.
  const uz =
    "Royal Taxi tasdiqlash kodi: 123456\nKod 5 daqiqa davomida amal qiladi.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring."
  assert.deepEqual(countSegments(uz), { encoding: 'GSM-7', segments: 1, units: uz.length })
  assert.equal(countSegments('').segments, 1)
})

test('GSM-7 extension characters count twice', () => {
  assert.deepEqual(countSegments('€'.repeat(80)), { encoding: 'GSM-7', segments: 1, units: 160 })
  assert.equal(countSegments(`${'a'.repeat(159)}{`).segments, 2)
  assert.equal(countSegments('[x]|^~\\').units, 13)
})

test('Cyrillic texts are UCS-2: 70 characters in one segment, 67 per part beyond', () => {
  assert.deepEqual(countSegments('Код подтверждения Royal Taxi: 123456'), {
    encoding: 'UCS-2',
    segments: 1,
    units: 36,
  })
  assert.equal(countSegments('д'.repeat(70)).segments, 1)
  assert.equal(countSegments('д'.repeat(71)).segments, 2)
  assert.equal(countSegments('д'.repeat(134)).segments, 2)
  assert.equal(countSegments('д'.repeat(135)).segments, 3)
  // The Russian code SMS: 3 lines, over 70 characters.
  const ru =
    'Код подтверждения Royal Taxi: 123456\nКод действителен 5 минут.\nЕсли вы не запрашивали этот код, проигнорируйте это сообщение.'
  assert.equal(countSegments(ru).segments, 2)
  // One Uzbek letter outside GSM (oʻ with U+02BB) makes the whole text UCS-2.
  assert.equal(countSegments(`${'a'.repeat(100)}oʻ`).encoding, 'UCS-2')
  // Emoji take two UTF-16 units.
  assert.equal(countSegments('😀'.repeat(35)).units, 70)
  assert.deepEqual(countSegments(`${'a'.repeat(60)}😀`), { encoding: 'UCS-2', segments: 1, units: 62 })
})

test('every character of the GSM-7 basic alphabet takes one septet, of the extension table two', () => {
  const basic =
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
  assert.equal(basic.length, 127) // 128 positions, one of them the escape to the extension table
  for (const ch of basic)
    assert.deepEqual(countSegments(ch), { encoding: 'GSM-7', segments: 1, units: 1 }, ch)
  for (const ch of '^{}\\[~]|€\f') assert.equal(countSegments(ch).units, 2, ch)
  // Look-alikes and near neighbours are not GSM-7.
  for (const ch of ['`', 'á', 'ç', 'Ä\u0308', '\u00a0', 'ʻ'])
    assert.equal(countSegments(ch).encoding, 'UCS-2', ch)
})

test('cost estimate: Twilio published prices per segment, in dollars', () => {
  const s = settings()
  assert.deepEqual(estimateCost(s, 'twilio', 'UZ', 10000), { amount: 530, currency: 'USD', usd: 530 })
  assert.deepEqual(estimateCost(s, 'twilio', 'RU', 2), { amount: 0.0234, currency: 'USD', usd: 0.0234 })
  assert.equal(estimateCost(s, 'twilio', 'US', 1)?.amount, 0.0079)
  assert.equal(estimateCost(s, 'twilio', 'TR', 1)?.amount, 0.0065)
  assert.equal(estimateCost(s, 'twilio', 'KZ', 1), null, 'no price known')
})

test("local gateways in so'm, converted with UZS_PER_USD; SMS_PRICES overrides", () => {
  const s = settings()
  assert.deepEqual(estimateCost(s, 'eskiz', 'UZ', 2), { amount: 180, currency: 'UZS', usd: 0.014173 })
  const c = loadConfig({
    APP_ENV: 'test',
    UZS_PER_USD: '12500',
    SMS_PRICES: 'eskiz:UZ=75; http:*=0.01 USD;twilio:KZ=0.21',
  })
  const o = { prices: c.sms.prices, uzsPerUsd: c.sms.uzsPerUsd }
  assert.deepEqual(estimateCost(o, 'eskiz', 'UZ', 1), { amount: 75, currency: 'UZS', usd: 0.006 })
  assert.deepEqual(estimateCost(o, 'http', 'UZ', 3), { amount: 0.03, currency: 'USD', usd: 0.03 })
  assert.equal(estimateCost(o, 'twilio', 'KZ', 1)?.amount, 0.21)
  assert.equal(estimateCost(o, 'twilio', 'UZ', 1)?.amount, 0.053, 'others keep their default')
  // A country's own price beats `*`, in any order.
  const w = settings('twilio:*=0.1;twilio:UZ=0.05')
  assert.equal(estimateCost(w, 'twilio', 'UZ', 1)?.amount, 0.05)
  assert.equal(estimateCost(w, 'twilio', 'KZ', 1)?.amount, 0.1)
  const w2 = settings('twilio:*=0.1')
  assert.equal(estimateCost(w2, 'twilio', 'UZ', 1)?.amount, 0.053)
})

test('bad SMS_PRICES and SMS_ROUTES are start-up errors naming the entry', () => {
  assert.throws(
    () => loadConfig({ SMS_PRICES: 'eskiz:UZ=abc;sms:UZ=1;twilio:XX=1' }),
    (e: Error) =>
      /SMS_PRICES: expected provider:COUNTRY=price/.test(e.message) &&
      /unknown provider "sms"/.test(e.message) &&
      /unknown country code "XX"/.test(e.message),
  )
  assert.throws(
    () => loadConfig({ TWILIO_ENABLED: 'false', SMS_ROUTES: 'UZ=eskiz,twilio;*=sms' }),
    (e: Error) =>
      /provider "eskiz" is named for UZ but not enabled/.test(e.message) &&
      /unknown provider "sms"/.test(e.message),
  )
})
