import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parsePhone, parseWithMetadata } from '../src/phone/index.js'

test('Uzbek operators by prefix', () => {
  const expected: Record<string, string> = {
    '20': 'Beeline',
    '90': 'Beeline',
    '91': 'Beeline',
    '92': 'Beeline',
    '50': 'Ucell',
    '93': 'Ucell',
    '94': 'Ucell',
    '87': 'Mobiuz',
    '88': 'Mobiuz',
    '97': 'Mobiuz',
    '33': 'Humans',
    '70': 'Uzmobile',
    '77': 'Uzmobile',
    '95': 'Uzmobile',
    '99': 'Uzmobile',
    '80': 'Perfectum',
    '98': 'Perfectum',
  }
  for (const [prefix, operator] of Object.entries(expected)) {
    const phone = parsePhone(`+998${prefix}1234567`)
    assert.ok(phone, `+998${prefix} is a valid mobile number`)
    assert.equal(phone.operator, operator, prefix)
    assert.equal(phone.country, 'UZ')
  }
})

test('formats people type are normalised; landlines, look-alike digits and junk are refused', () => {
  for (const input of [
    '998901234567',
    '+998901234567',
    '+998 90 123-45-67',
    '+998 (90) 123 45 67',
    '00998901234567',
    '+998.90.123.45.67',
  ])
    assert.equal(parsePhone(input)?.e164, '+998901234567', input)
  for (const input of [
    '+998711234567',
    '+99890123456',
    '+9989012345678',
    '+998 ٩٠ ١٢٣ ٤٥ ٦٧',
    '+９９８９０１２３４５６７',
    'abc',
    '',
    '+',
    `+998${'9'.repeat(40)}`,
  ])
    assert.equal(parsePhone(input), null, input)
  assert.deepEqual(parsePhone('+79161234567'), { e164: '+79161234567', country: 'RU', operator: null })
  assert.equal(parsePhone('+74951234567'), null, 'a Moscow landline')
})

test('the shortcut for Uzbek numbers answers as the metadata does, for every two-digit prefix', () => {
  let shortcut = 0
  for (let prefix = 0; prefix < 100; prefix++) {
    for (const rest of ['0000000', '1234567', '5550199', '9999999']) {
      const e164 = `+998${String(prefix).padStart(2, '0')}${rest}`
      const expected = parseWithMetadata(e164)
      assert.deepEqual(parsePhone(e164), expected, e164)
      if (expected) shortcut++
    }
  }
  // Every operator prefix (17) is mobile whatever follows it; other prefixes go through the metadata.
  assert.ok(shortcut >= 17 * 4, `${shortcut} valid numbers`)
})
