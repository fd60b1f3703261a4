import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core'
import type { TestApp } from './helpers.js'

// What every browser test shares: Debian's Chromium (never a downloaded build) with the flags this machine
// needs, the reason a test is skipped where it is not installed, the app served to it, the page's problems
// and a CDP virtual authenticator.

export const CHROMIUM = '/usr/bin/chromium'
// Headless, without the sandbox Chromium refuses to start as root (these tests run as root in a container),
// and without the background traffic (updates, sync, first-run pages) that slows a run and reaches the network.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
export const SHOTS = 'test-results'

/** A browser test's `skip`: where Chromium is not installed, the reason and the fix, so the rest still runs. */
export const noChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install -y chromium`

/** A laptop's screen, the size the admin console is laid out for. */
export const DESKTOP = { width: 1366, height: 900 }

/** Chromium, closed when the test ends; screenshots have their folder. */
export async function launch(t: TestContext): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  t.after(() => browser.close())
  return browser
}

/**
 * One page in a Chromium of its own, at `DESKTOP` size unless `options` say otherwise, and the problems it
 * shows (see watchProblems; `refused`: the statuses the test expects the API to answer).
 */
export async function openPage(
  t: TestContext,
  { refused = [], ...options }: BrowserContextOptions & { refused?: readonly number[] } = {},
): Promise<{ page: Page; problems: string[] }> {
  const browser = await launch(t)
  const page = await browser.newPage({ viewport: DESKTOP, ...options })
  return { page, problems: watchProblems(page, refused) }
}

/**
 * Listens on `localhost`, the one host name WebAuthn accepts over plain http (an IP address is never a valid
 * relying party id), and answers the page's base URL.
 */
export async function serve(ta: TestApp, port = 0): Promise<string> {
  await ta.app.listen({ port, host: '127.0.0.1' })
  const address = ta.app.server.address()
  assert.ok(address && typeof address === 'object')
  return `http://localhost:${address.port}`
}

/**
 * Console errors and uncaught exceptions. Chromium logs an error line for every answer of 4xx; those of the
 * `refused` statuses are what the test provokes, not problems.
 */
export function watchProblems(page: Page, refused: readonly number[] = []): string[] {
  const problems: string[] = []
  page.on('console', (m) => {
    const status = Number(/status of (\d{3})\b/.exec(m.text())?.[1])
    if (m.type() === 'error' && !refused.includes(status)) problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(e.message))
  return problems
}

/**
 * A platform authenticator with user verification, as a phone's fingerprint reader or Windows Hello, that
 * says yes at once. Answers a reader of the credentials it holds.
 */
export async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  })
  return { credentials: () => cdp.send('WebAuthn.getCredentials', { authenticatorId }) }
}
