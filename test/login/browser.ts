import type { Page } from 'playwright-core'
import { watchProblems as watch } from '../browser.js'

// What the sign-in page's browser tests add to test/browser.ts: the two screen sizes, a stand-in for the SMS
// that WebOTP would read, the passkey algorithms today's devices use, and the refusals the page shows.

export { CHROMIUM, launch, SHOTS, serve, virtualAuthenticator } from '../browser.js'

// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely to keep the DOM lib out of Node code
declare const window: any

export const SCREENS = [
  { name: 'phone', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
  { name: 'desktop', viewport: { width: 1280, height: 860 }, isMobile: false, hasTouch: false },
] as const

/**
 * There is no SMS for Chromium to read in a test, so `navigator.credentials.get({otp})` is replaced, before
 * the page's scripts run, by a request the test answers (`window.__sms.deliver(code)`) and that counts how
 * often it was asked for and aborted. Passkey requests still reach the real API.
 */
export async function stubWebOtp(page: Page): Promise<void> {
  // A string, not a function: tsx would add its name helpers to a function, which the page does not have.
  await page.addInitScript(`
    window.OTPCredential ??= class {}
    const realGet = navigator.credentials.get.bind(navigator.credentials)
    const sms = { requests: 0, aborted: 0, deliver() {} }
    window.__sms = sms
    navigator.credentials.get = (options) => {
      if (!options?.otp) return realGet(options)
      sms.requests++
      return new Promise((resolve, reject) => {
        sms.deliver = (code) => resolve({ type: 'otp', id: 'otp', code })
        options.signal?.addEventListener('abort', () => {
          sms.aborted++
          reject(new DOMException('The user typed the code', 'AbortError'))
        })
      })
    }
  `)
}

export const smsState = (page: Page) =>
  page.evaluate(() => ({
    requests: window.__sms.requests as number,
    aborted: window.__sms.aborted as number,
  }))

// COSE ids of ML-DSA-44, -65 and -87 (draft-ietf-cose-dilithium).
const ML_DSA = new Set([-48, -49, -50])

/**
 * Takes ML-DSA out of the algorithms the server offers for a new passkey. @simplewebauthn/server offers
 * ML-DSA-44 first where Node has it (Node 24), and Chromium's virtual authenticator takes it, though the
 * platform authenticators of today's phones and computers make ES256 keys. An ML-DSA-44 signature is 2420
 * bytes, 3227 base64url characters, and the passkey sign-in schema (src/passkeys/schemas.ts) allows 2048:
 * until that limit is raised, the test signs in as today's devices do.
 */
export async function withoutMlDsa(page: Page): Promise<void> {
  await page.route('**/api/v1/passkeys/register/options', async (route) => {
    const response = await route.fetch()
    const options = await response.json()
    if (Array.isArray(options.pubKeyCredParams))
      options.pubKeyCredParams = options.pubKeyCredParams.filter((p: { alg: number }) => !ML_DSA.has(p.alg))
    await route.fulfill({ response, json: options })
  })
}

/** Problems on the page, but not the refusals (bad input, sign-in needed, rate limits) the tests provoke. */
export const watchProblems = (page: Page) => watch(page, [400, 401, 404, 422, 429])
