import assert from 'node:assert/strict'
import { test } from 'node:test'
import { deviceOf, requestCountry } from '../../src/sessions/device.js'

const ANDROID =
  'Mozilla/5.0 (Linux; Android 14; SM-A525F) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36'
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

test('a device is named by the app, else from the User-Agent, else "Unknown device"', () => {
  assert.deepEqual(deviceOf(ANDROID, undefined, 'UZ'), {
    name: 'Chrome on Android',
    platform: 'android',
    country: 'UZ',
  })
  assert.deepEqual(deviceOf(IPHONE, undefined, null), {
    name: 'Safari on iPhone',
    platform: 'ios',
    country: null,
  })
  assert.deepEqual(deviceOf('okhttp/4.12.0', undefined, null), {
    name: 'Unknown device',
    platform: 'other',
    country: null,
  })
  assert.equal(deviceOf(undefined, undefined, null).name, 'Unknown device')
  assert.equal(deviceOf(ANDROID, '  Aziz’s phone ', null).name, 'Aziz’s phone')
  assert.equal(deviceOf(ANDROID, '   ', null).name, 'Chrome on Android', 'a blank name is no name')
  assert.equal(deviceOf(ANDROID, 'x'.repeat(150), null).name.length, 100)
})

test('the country is taken from the configured header only, and only when it is a country', () => {
  assert.equal(requestCountry({ 'cf-ipcountry': 'uz' }, 'cf-ipcountry'), 'UZ')
  assert.equal(requestCountry({ 'cf-ipcountry': 'uz' }, null), null)
  for (const value of ['XX', 'T1', 'UZB', '', undefined])
    assert.equal(requestCountry({ 'cf-ipcountry': value }, 'cf-ipcountry'), null, String(value))
})
