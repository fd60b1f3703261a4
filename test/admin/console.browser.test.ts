import assert from 'node:assert/strict'
import { test } from 'node:test'
import { noChromium, openPage, SHOTS, serve } from '../browser.js'
import { buildTestApp, FakeSms } from '../helpers.js'
import { ADMIN_ENV, ADMIN_TOKEN, seedTraffic } from './seed.js'

// Drives the real console in headless Chromium (Debian's package, not a downloaded build): sign-in, the logs
// filter, the charts, the language switch. Screenshots go to test-results/ for a human to look at.

// What the page functions passed to page.evaluate() use: they run in the browser, not in Node.
// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely to keep the DOM lib out of Node code
declare const document: any, window: any, sessionStorage: any, localStorage: any

test('the admin console in Chromium: sign-in, logs filter, charts, languages', {
  skip: noChromium,
  timeout: 120_000,
}, async (t) => {
  const eskiz = Object.assign(new FakeSms('eskiz'), {
    balance: async () => ({ amount: 1_254_300, currency: 'UZS' }),
  })
  const twilio = Object.assign(new FakeSms('twilio'), {
    balance: async () => ({ amount: 18.42, currency: 'USD' }),
  })
  const ta = await buildTestApp(t, {
    env: { ...ADMIN_ENV, OTP_IP_LIMIT_PER_MINUTE: '2' },
    providers: [eskiz, twilio],
  })
  await seedTraffic(ta.app)
  // Two passkey sign-ins today, each sparing an Eskiz SMS of 90 so'm.
  for (const app of ['passenger', 'driver'] as const)
    await ta.app.stores.passkeys.recordSignIn({
      id: `passkey-${app}`,
      app,
      country: 'UZ',
      provider: 'eskiz',
      saved: { amount: 90, currency: 'UZS', usd: 0.0071 },
      at: Date.now(),
    })
  // One IP at its limit, so the Abuse tab has someone to show.
  for (const phone of ['+998901110001', '+998901110002'])
    await ta.app.inject({
      method: 'POST',
      url: '/api/v1/auth/send-otp',
      payload: { phone },
      remoteAddress: '203.0.113.7',
    })
  const db = ta.app.storage.db.db
  await ta.app.stores.blocks.block({
    prefix: '+998901234',
    reason: 'volume',
    detail: '31 codes in 3600 s',
    createdBy: 'auto',
    expiresAt: Date.now() + 12 * 3_600_000,
  })
  await ta.app.stores.blocks.block({
    prefix: '+998935550',
    reason: 'verify_rate',
    detail: '1 of 24 codes verified in 3600 s (below 0.1)',
    createdBy: 'auto',
    expiresAt: Date.now() + 6 * 3_600_000,
  })
  const base = await serve(ta)
  // The wrong token below is refused with a 401, which Chromium logs as an error.
  const { page, problems } = await openPage(t, { refused: [401] })

  await page.goto(`${base}/admin`)
  await page.locator('#signin-view').waitFor()
  assert.equal(await page.locator('#signin-view h1').textContent(), 'Boshqaruv paneliga kirish')
  await page.screenshot({ path: `${SHOTS}/admin-signin.png` })

  // A wrong token: refused with the server's message, and no data reaches the page.
  await page.fill('#token', `${ADMIN_TOKEN}-wrong`)
  await page.click('#signin-submit')
  await page.locator('#signin-error').waitFor()
  assert.equal(await page.locator('#signin-error').textContent(), "Administrator tokeni noto'g'ri.")
  assert.equal(await page.locator('#app-view').isHidden(), true)
  assert.equal(await page.locator('#logs-table tbody tr').count(), 0)
  assert.equal(await page.evaluate(() => sessionStorage.length), 0)

  // The right token: the logs appear, newest first.
  await page.fill('#token', ADMIN_TOKEN)
  await page.click('#signin-submit')
  await page.locator('#logs-table tbody tr.message').first().waitFor()
  assert.equal(await page.locator('#logs-table tbody tr.message').count(), 25)
  assert.equal(await page.evaluate(() => localStorage.getItem('royal-taxi-admin-token')), null)
  await page.locator('#logs-table tbody tr.message').first().click()
  await page.locator('#logs-table tbody tr.details:not([hidden])').waitFor()
  await page.screenshot({ path: `${SHOTS}/admin-logs.png`, fullPage: true })

  // The filter: one number, then failed messages only.
  await page.fill('#f-phone', '901110001')
  await page.click('#logs-filter button[type=submit]')
  await page.waitForFunction(() => document.querySelectorAll('#logs-table tbody tr.message').length === 1)
  assert.equal(await page.locator('#logs-table tbody tr.message td.mono').textContent(), '+998901110001')
  await page.click('#logs-reset')
  await page.selectOption('#f-status', 'failed')
  await page.click('#logs-filter button[type=submit]')
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#logs-table tbody tr.details')]
    return rows.length > 0 && rows.every((r) => r.querySelector('.badge-failed'))
  })
  await page.locator('#logs-table tbody tr.message').first().click()
  await page.screenshot({ path: `${SHOTS}/admin-logs-failed.png` })
  await page.click('#logs-older')
  await page.waitForFunction(() => document.querySelector('#logs-page')?.textContent === '2-sahifa')

  // Usage: the KPIs and three charts with data, drawn on their canvases.
  await page.click('.tab[data-tab=usage]')
  await page.locator('#usage-kpis .kpi').first().waitFor()
  const charts = await page.evaluate(() =>
    ['chart-status', 'chart-provider', 'chart-rates'].map((id) => {
      const canvas = document.getElementById(id)
      const chart = window.Chart.getChart(canvas)
      const values = chart.data.datasets.flatMap((d: { data: (number | null)[] }) => d.data)
      const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? []
      let painted = 0
      for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) painted++
      return {
        id,
        sum: values.reduce((a: number, v: number | null) => a + (v ?? 0), 0),
        painted,
        width: canvas.width,
      }
    }),
  )
  for (const c of charts) {
    assert.ok(c.sum > 0, `${c.id} has data`)
    assert.ok(c.width > 100 && c.painted > 2000, `${c.id} is drawn (${c.painted} pixels)`)
  }
  const kpis = await page.locator('#usage-kpis .kpi-value').allTextContents()
  assert.equal(kpis.length, 4)
  assert.match(kpis[1] ?? '', /%/)
  await page.screenshot({ path: `${SHOTS}/admin-usage.png`, fullPage: true })

  // Billing: month to date, the cost charts and the balances the gateways report.
  await page.click('.tab[data-tab=billing]')
  await page.locator('#billing-kpis .kpi').first().waitFor()
  for (const id of ['chart-cost-day', 'chart-cost-country', 'chart-cost-provider']) {
    const drawn = await page.evaluate((chartId: string) => {
      const chart = window.Chart.getChart(document.getElementById(chartId))
      return chart.data.datasets
        .flatMap((d: { data: number[] }) => d.data)
        .reduce((a: number, v: number) => a + v, 0)
    }, id)
    assert.ok(drawn > 0, `${id} has costs`)
  }
  assert.match((await page.locator('#billing-kpis .kpi-value').first().textContent()) ?? '', /\$/)
  const saved = page.locator('#billing-kpis .kpi').nth(4)
  assert.match((await saved.locator('.kpi-value').textContent()) ?? '', /\$\s?0[.,]01/)
  assert.match((await saved.locator('.kpi-sub').textContent()) ?? '', /^2 /)
  const balances = await page.locator('#balances-table tbody tr').allTextContents()
  assert.equal(balances.length, 2)
  assert.match(balances[0] ?? '', /eskiz/)
  assert.match(balances[1] ?? '', /twilio.*18[.,]42/)
  await page.screenshot({ path: `${SHOTS}/admin-billing.png`, fullPage: true })

  // Abuse: the IP at its limit and the top lists.
  await page.click('.tab[data-tab=abuse]')
  await page.locator('#limited-table tbody tr').first().waitFor()
  assert.match((await page.locator('#limited-table tbody').textContent()) ?? '', /203\.0\.113\.7/)
  assert.ok((await page.locator('#ips-table tbody tr').count()) > 0)
  assert.ok((await page.locator('#prefixes-table tbody tr').count()) > 0)
  assert.equal(await page.locator('#blocks-table tbody tr').count(), 2)
  await page.screenshot({ path: `${SHOTS}/admin-abuse.png`, fullPage: true })
  // Unblock one prefix (after the confirmation dialog): it leaves the list and the database says so.
  page.once('dialog', (dialog) => dialog.accept())
  await page.click('#blocks-table button[data-prefix="+998901234"]')
  await page.waitForFunction(() => document.querySelectorAll('#blocks-table tbody tr').length === 1)
  const lifted = await db
    .selectFrom('blocked_prefixes')
    .select('removed_by')
    .where('prefix', '=', '+998901234')
    .executeTakeFirstOrThrow()
  assert.equal(lifted.removed_by, 'admin')

  // Russian, then English: the whole page follows, and the choice survives a reload; the token does too.
  await page.selectOption('#lang', 'ru')
  assert.equal(await page.locator('.tab[data-tab=logs]').textContent(), 'Журнал')
  await page.selectOption('#lang', 'en')
  await page.reload()
  await page.locator('#app-view').waitFor()
  assert.equal(await page.locator('.tab[data-tab=usage]').textContent(), 'Usage')
  assert.equal(await page.locator('html').getAttribute('lang'), 'en')

  // A phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 })
  await page.click('.tab[data-tab=usage]')
  await page.locator('#chart-status').waitFor()
  await page.screenshot({ path: `${SHOTS}/admin-usage-mobile.png`, fullPage: true })

  await page.click('#signout')
  await page.locator('#signin-view').waitFor()
  assert.equal(await page.evaluate(() => sessionStorage.length), 0)
  assert.deepEqual(problems, [])
})
