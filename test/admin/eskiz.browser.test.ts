import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EskizProvider } from '../../src/channels/eskiz/provider.js'
import { noChromium, openPage, SHOTS, serve } from '../browser.js'
import { buildTestApp } from '../helpers.js'
import { type Answer, eskizSettings, fakeGateway, type Received } from '../sms/gateway-fakes.js'
import { ADMIN_ENV, ADMIN_TOKEN, auth, seedMessages } from './seed.js'

// The Billing tab's Eskiz card, in headless Chromium (Debian's package): every text the settings can send,
// how Eskiz rates it, the prices per operator and the balance warning, in Uzbek and English. Eskiz is a fake
// here: its OpenAPI's examples (Prism) cannot rate a text as advertising; test/sms/eskiz-texts.test.ts holds
// the Prism contract test of the same calls.

// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely to keep the DOM lib out of Node code
declare const document: any

const AUTOFILL_ENV = { ANDROID_APP_HASHES: 'passenger:FA+9qCX9VSu', WEBOTP_DOMAIN: 'royaltaxi.uz' }
const UZ = (code: string) =>
  `Royal Taxi tasdiqlash kodi: ${code}\nKod 5 daqiqa davomida amal qiladi.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring.`

function eskiz(req: Received): Answer {
  if (req.url === '/api/auth/login') return { status: 200, body: { data: { token: 'tok-1' } } }
  if (req.url === '/api/user/templates')
    return {
      status: 200,
      body: {
        success: true,
        result: [
          { id: 11, status: 'service', original_text: UZ('%d'), template: '' },
          {
            id: 12,
            status: 'reklama',
            original_text: `Royal Taxi tasdiqlash kodi: 000000\nKod 5 daqiqa amal qiladi. So'ramagan bo'lsangiz, e'tibor bermang.\nFA+9qCX9VSu`,
            template: '',
          },
        ],
      },
    }
  if (req.url === '/api/message/sms/normalizer')
    return { status: 200, body: { special_characters: [], recommendations: [], message: req.form?.message } }
  if (req.url === '/api/report/total-by-smsc')
    return {
      status: 200,
      body: {
        data: [{ smsc_id: 3, parts: 200, spent: 18_000, ad_parts: 4, ad_spent: 460, year: 2026, month: 3 }],
      },
    }
  return { status: 200, body: { data: { balance: 5_000 }, status: 'success' } }
}

test('Billing tab: every text with its Eskiz rating, prices per operator, a balance that will not last a week', {
  skip: noChromium,
  timeout: 120_000,
}, async (t) => {
  const gateway = await fakeGateway(t, [eskiz])
  const provider = new EskizProvider(eskizSettings(gateway.url), 5000)
  const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...AUTOFILL_ENV }, providers: [provider] })
  // 70 Eskiz messages at 90 so'm in the last week: 900 so'm a day, so 5,000 so'm lasts 5.6 days.
  const now = Date.now()
  await seedMessages(
    ta.app,
    Array.from({ length: 70 }, (_, i) => ({
      phone: `+9989011${String(i).padStart(5, '0')}`,
      at: now - (i + 1) * 2 * 3_600_000,
      attempts: [['eskiz', 'delivered']],
    })),
  )

  const res = await ta.app.inject({ method: 'GET', url: '/api/v1/admin/billing/eskiz', headers: auth })
  assert.equal(res.statusCode, 200)
  const report = res.json()
  assert.equal(report.enabled, true)
  assert.deepEqual(
    report.texts.map((x: { label: string; verdict: string }) => `${x.label}: ${x.verdict}`),
    [
      'uz: service',
      'uz android passenger: advertising',
      'uz web/ios: missing',
      'ru: missing',
      'ru android passenger: missing',
      'ru web/ios: missing',
      'en: missing',
      'en android passenger: missing',
      'en web/ios: missing',
    ],
  )
  assert.deepEqual(report.operators, [{ operator: 'Ucell', service: 90, advertising: 115 }])
  assert.deepEqual(
    [report.balance, report.per_day, report.days_left, report.low_balance],
    [5000, 900, 5.6, true],
  )
  const unauthorized = await ta.app.inject({ method: 'GET', url: '/api/v1/admin/billing/eskiz' })
  assert.equal(unauthorized.statusCode, 401)

  const base = await serve(ta)
  const { page, problems } = await openPage(t)
  await page.goto(`${base}/admin`)
  await page.fill('#token', ADMIN_TOKEN)
  await page.click('#signin-submit')
  await page.click('.tab[data-tab=billing]')
  await page.locator('#eskiz-texts tbody tr').first().waitFor()
  const cell = async (verdict: string, column: number) =>
    await page.locator(`#eskiz-texts tbody tr[data-verdict=${verdict}] td`).nth(column).textContent()
  assert.equal(await cell('advertising', 0), 'uz android passenger')
  assert.equal(await cell('advertising', 2), 'Reklama deb baholangan (#12)')
  assert.equal(await cell('service', 2), 'Xizmat shabloni #11')
  assert.match((await cell('advertising', 1)) ?? '', /FA\+9qCX9VSu$/)
  assert.equal(await page.locator('#eskiz-texts tbody tr').count(), 9)
  assert.match(
    (await page.locator('#eskiz-balance').textContent()) ?? '',
    /taxminan 5\.6 kunga yetadi.*to‘ldiring/,
  )
  assert.equal(await page.locator('#eskiz-balance').getAttribute('class'), 'error')
  assert.deepEqual(
    await page.evaluate(() =>
      [...document.querySelectorAll('#eskiz-operators tbody td')].map((td: { textContent: string }) =>
        td.textContent.replace(/\s/g, ' '),
      ),
    ),
    ['Ucell', '90 so‘m', '115 so‘m'],
  )
  await page.screenshot({ path: `${SHOTS}/admin-billing-eskiz.png`, fullPage: true })

  await page.selectOption('#lang', 'en')
  await page.waitForFunction(
    () =>
      document.querySelector('#eskiz-texts tbody tr[data-verdict=advertising] td:last-child')?.textContent ===
      'Rated advertising (#12)',
  )
  assert.match(
    (await page.locator('#eskiz-balance').textContent()) ?? '',
    /lasts about 5\.6 days .*top it up/,
  )
  assert.deepEqual(problems, [])
})
