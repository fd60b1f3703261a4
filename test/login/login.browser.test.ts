import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import type { Page } from 'playwright-core'
import { buildTestApp, post } from '../helpers.js'
import {
  CHROMIUM,
  launch,
  SCREENS,
  SHOTS,
  serve,
  smsState,
  stubWebOtp,
  virtualAuthenticator,
  watchProblems,
  withoutMlDsa,
} from './browser.js'

// The /login page in headless Chromium at phone width (360×740) and on a desktop: the whole code flow in
// development mode (the code read from send-otp's answer, as a rider reads the SMS), a rate limit counting
// down, the API's error texts in Uzbek and then Russian, WebOTP, a reload that keeps the session, sign-out.

// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely to keep the DOM lib out of Node code
declare const document: any, sessionStorage: any, window: any

const SEND = '/api/v1/auth/send-otp'
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install -y chromium`

/** Submits the phone step and answers send-otp's body, which in development mode carries the code. */
async function askForCode(page: Page, phone: string) {
  const answer = page.waitForResponse((r) => r.url().endsWith(SEND) && r.request().method() === 'POST')
  await page.fill('#phone', phone)
  await page.keyboard.press('Enter')
  const body = await (await answer).json()
  assert.match(body.otp_code, /^\d{6}$/)
  await page.locator('#code-step').waitFor()
  return body as { otp_code: string; message: string; phone: string }
}

const focused = (page: Page) => page.evaluate(() => document.activeElement?.id)
const text = (page: Page, selector: string) => page.locator(selector).textContent()

test('/login in Chromium, phone and desktop: code, rate limit, errors in uz and ru, WebOTP, sign-out', {
  skip,
  timeout: 180_000,
}, async (t) => {
  // Two screens sign in with four numbers from one address, within a minute.
  const ta = await buildTestApp(t, { env: { OTP_IP_LIMIT_PER_MINUTE: '20' } })
  const base = await serve(ta)
  const browser = await launch(t)

  for (const [i, screen] of SCREENS.entries()) {
    await t.test(screen.name, async () => {
      const { name, ...device } = screen
      const context = await browser.newContext(device)
      t.after(() => context.close())
      const page = await context.newPage()
      await stubWebOtp(page)
      const problems = watchProblems(page)
      const phone = `+99890111220${i}`

      // Uzbek by default, the cursor in the phone field, nothing wider than the screen.
      await page.goto(`${base}/login`)
      await page.locator('#phone-step').waitFor()
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'uz')
      assert.equal(await text(page, '#phone-title'), 'Kirish')
      assert.equal(await focused(page), 'phone')
      const width = await page.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= screen.viewport.width, `no sideways scrolling (${width} px)`)
      await page.screenshot({ path: `${SHOTS}/login-${name}-phone.png`, fullPage: true })

      // The code goes out; the page says where to look and waits for WebOTP, the cursor in the code field.
      const sent = await askForCode(page, `${phone.slice(0, 4)} ${phone.slice(4, 6)} ${phone.slice(6)}`)
      assert.equal(sent.phone, phone)
      assert.equal(await text(page, '#sent'), sent.message)
      assert.match((await text(page, '#expires')) ?? '', /^Kod 5:00|^Kod 4:5\d/)
      assert.equal(await focused(page), 'code')
      assert.deepEqual(await smsState(page), { requests: 1, aborted: 0 })
      for (const [attribute, value] of [
        ['autocomplete', 'one-time-code'],
        ['inputmode', 'numeric'],
      ] as const)
        assert.equal(await page.getAttribute('#code', attribute), value)

      // Asking again at once: the cooldown as a countdown, the button off until it ends.
      await page.click('#resend')
      await page.locator('#code-error .wait').waitFor()
      assert.match((await text(page, '#code-error')) ?? '', /^Yangi kodni \d+ soniyadan keyin/)
      assert.match(
        (await text(page, '#code-error .wait')) ?? '',
        /^(1:00|0:5\d) dan keyin qayta urinib ko‘ring\.$/,
      )
      assert.equal(await page.isDisabled('#resend'), true)

      // A wrong code typed by hand: WebOTP is given up, and the API's Uzbek text shows under the field.
      const wrong = sent.otp_code === '000000' ? '111111' : '000000'
      await page.locator('#code').pressSequentially(wrong)
      assert.deepEqual(await smsState(page), { requests: 1, aborted: 1 })
      await page.keyboard.press('Enter')
      await page.waitForFunction(() => document.querySelector('#code-error')?.textContent.startsWith('Kod'))
      assert.equal(await text(page, '#code-error'), "Kod noto'g'ri. Qolgan urinishlar: 4.")
      assert.equal(await page.getAttribute('#code', 'aria-invalid'), 'true')
      await page.screenshot({ path: `${SHOTS}/login-${name}-code-error.png`, fullPage: true })

      // In Russian: the page's texts at once, the API's texts from the next answer on.
      await page.selectOption('#lang', 'ru')
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'ru')
      assert.equal(await text(page, '#code-title'), 'Введите код')
      assert.equal(await page.locator('#verify').textContent(), 'Войти')
      await page.click('#verify')
      await page.waitForFunction(() =>
        document.querySelector('#code-error')?.textContent.startsWith('Неверный'),
      )
      assert.equal(await text(page, '#code-error'), 'Неверный код. Осталось попыток: 3.')

      // The right code: signed in, and told who.
      await page.fill('#code', sent.otp_code)
      await page.click('#verify')
      await page.locator('#account-step').waitFor()
      assert.equal(await focused(page), 'account-title')
      assert.equal(await text(page, '#account-title'), 'Вы вошли')
      assert.equal(await text(page, '#me-phone'), phone)
      assert.equal(await text(page, '#me-roles'), 'Пассажир')
      assert.equal(await text(page, '#me-role'), 'Пассажир')
      await page.screenshot({ path: `${SHOTS}/login-${name}-account.png`, fullPage: true })

      // A reload keeps the session through the refresh token, and the language.
      const before = await page.evaluate(() => sessionStorage.getItem('royal-taxi-refresh-token'))
      await page.reload()
      await page.locator('#account-step').waitFor()
      assert.equal(await text(page, '#me-phone'), phone)
      assert.equal(await text(page, '#account-title'), 'Вы вошли')
      const after = await page.evaluate(() => sessionStorage.getItem('royal-taxi-refresh-token'))
      assert.notEqual(after, before, 'the refresh token was rotated')

      // Sign out: the session ends on the server too.
      await page.click('#logout')
      await page.locator('#phone-step').waitFor()
      assert.equal(await text(page, '#phone-note'), 'Вы вышли.')
      await page.selectOption('#lang', 'en')
      assert.equal(await text(page, '#phone-note'), 'You are signed out.')
      assert.equal(await text(page, '#phone-title'), 'Sign in')
      assert.equal(await page.evaluate(() => sessionStorage.length), 0)
      const refresh = await post(ta.app, '/api/v1/auth/refresh', { refresh_token: after })
      assert.equal(refresh.statusCode, 401)

      // WebOTP: the SMS arrives, the browser hands the code over, the page signs in by itself.
      const again = await askForCode(page, `+99890111221${i}`)
      // (The reload above started the count again.)
      assert.deepEqual(await smsState(page), { requests: 1, aborted: 0 })
      await page.evaluate((code) => window.__sms.deliver(code), again.otp_code)
      await page.locator('#account-step').waitFor()
      assert.equal(await page.inputValue('#code'), again.otp_code)
      await page.click('#logout')
      await page.locator('#phone-step').waitFor()

      assert.deepEqual(problems, [])
    })
  }
})

test('/login in Chromium with a passkey: add one after a code sign-in, sign out, back in with no SMS', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const ta = await buildTestApp(t)
  const base = await serve(ta)
  const browser = await launch(t)

  // phone: the passkey picked from the phone field's autofill menu (conditional UI; Chromium's virtual
  // authenticator picks it at once, as a user would). desktop: a browser without conditional UI, so the
  // "use a passkey" button.
  for (const [i, screen] of SCREENS.entries()) {
    await t.test(screen.name, async () => {
      const { name, ...device } = screen
      const autofill = name === 'phone'
      const context = await browser.newContext(device)
      t.after(() => context.close())
      const page = await context.newPage()
      const problems = watchProblems(page)
      const authenticator = await virtualAuthenticator(page)
      await withoutMlDsa(page)
      if (!autofill)
        await page.addInitScript('PublicKeyCredential.isConditionalMediationAvailable = async () => false')
      const phone = `+99893555000${i}`

      await page.goto(`${base}/login`)
      await page.locator('#passkey-signin').waitFor()
      assert.equal(await text(page, '#passkey'), 'Kalit (passkey) bilan kirish')
      const sent = await askForCode(page, phone)
      await page.fill('#code', sent.otp_code)
      await page.click('#verify')
      await page.locator('#account-step').waitFor()

      // Add a passkey: the authenticator now holds a discoverable credential for this site.
      await page.click('#add-passkey')
      await page.locator('#account-note:not([hidden])').waitFor()
      assert.equal(await text(page, '#account-note'), 'Kalit saqlandi: keyingi safar kodsiz kirasiz.')
      const { credentials } = await authenticator.credentials()
      assert.equal(credentials.length, 1)
      assert.equal(credentials[0]?.isResidentCredential, true)
      assert.equal(credentials[0]?.rpId, 'localhost')
      await page.screenshot({ path: `${SHOTS}/login-${name}-passkey-added.png`, fullPage: true })

      // Sign out, and back in with the passkey: no number typed, no code sent.
      const smsBefore = ta.sms.sent.length
      const asked: string[] = []
      page.on('request', (r) => asked.push(new URL(r.url()).pathname))
      const verify = '**/api/v1/auth/passkey/verify'
      // The autofill menu can wait longer than its challenge lives: the first answer says it expired, and the
      // page offers the menu again with a new challenge.
      if (autofill)
        await page.route(
          verify,
          (route) =>
            route.fulfill({
              status: 400,
              json: { code: 'PASSKEY_CHALLENGE_INVALID', detail: 'Kalit so‘rovi eskirgan.' },
            }),
          { times: 1 },
        )
      const verified = page.waitForResponse((r) => r.url().endsWith('/passkey/verify') && r.status() === 200)
      await page.click('#logout')
      if (!autofill) {
        await page.locator('#phone-step').waitFor()
        await page.click('#passkey')
      }
      await verified
      await page.locator('#account-step').waitFor()
      assert.equal(await page.isHidden('#passkey-error'), true)
      assert.equal(await text(page, '#me-phone'), phone)
      assert.equal(await text(page, '#me-role'), 'Yo‘lovchi')
      assert.equal(ta.sms.sent.length, smsBefore, 'no SMS')
      const once = ['/api/v1/auth/passkey/options', '/api/v1/auth/passkey/verify']
      assert.deepEqual(
        asked.filter((path) => path.startsWith('/api/')),
        ['/api/v1/auth/logout', ...once, ...(autofill ? once : [])],
      )
      const signCount = (await authenticator.credentials()).credentials[0]?.signCount
      const signatures = autofill ? 2 : 1
      assert.equal(signCount, (credentials[0]?.signCount ?? 0) + signatures, 'one signature per try')
      await page.screenshot({ path: `${SHOTS}/login-${name}-passkey-signed-in.png`, fullPage: true })
      assert.deepEqual(problems, [])
    })
  }
})

test('/login hides the passkey buttons when the server answers 404 for them', { skip }, async (t) => {
  const ta = await buildTestApp(t)
  const base = await serve(ta)
  const browser = await launch(t)
  const page = await browser.newPage({ viewport: SCREENS[0].viewport })
  // A server without the passkey endpoints (or with passkeys off) answers 404 PASSKEYS_DISABLED.
  await page.route('**/api/v1/auth/passkey/options', (route) =>
    route.fulfill({ status: 404, json: { code: 'PASSKEYS_DISABLED', detail: 'off' } }),
  )
  await page.goto(`${base}/login`)
  const sent = await askForCode(page, '+998935550099')
  await page.fill('#code', sent.otp_code)
  await page.click('#verify')
  await page.locator('#account-step').waitFor()
  assert.equal(await page.isHidden('#passkey-signin'), true)
  assert.equal(await page.isHidden('#add-passkey'), true)
})
