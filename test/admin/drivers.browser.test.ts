import assert from 'node:assert/strict'
import { test } from 'node:test'
import { noChromium, openPage, SHOTS, serve } from '../browser.js'
import { buildTestApp } from '../helpers.js'
import { ADMIN_ENV, ADMIN_TOKEN } from './seed.js'

// The console's Drivers tab in headless Chromium (Debian's package, never a downloaded build): list, add a
// number as an operator types it, a refused number, search, remove; in Uzbek and then in Russian.

// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely to keep the DOM lib out of Node code
declare const document: any

test('the Drivers tab in Chromium: list, add, refuse, search, remove, in Uzbek and Russian', {
  skip: noChromium,
  timeout: 120_000,
}, async (t) => {
  const ta = await buildTestApp(t, { env: ADMIN_ENV })
  const roster = ta.app.stores.drivers
  await roster.add([{ phone: '+998931112233', name: 'Bobur Aliyev' }], 'import', Date.now() - 60_000)
  const base = await serve(ta)
  // The refused number below is answered with a 422, which Chromium logs as an error.
  const { page, problems } = await openPage(t, { refused: [422] })
  const rows = () => page.locator('#drivers-table tbody tr').allTextContents()
  const rowCount = (n: number) =>
    page.waitForFunction(
      (count: number) => document.querySelectorAll('#drivers-table tbody tr').length === count,
      n,
    )

  await page.goto(`${base}/admin/#drivers`)
  await page.fill('#token', ADMIN_TOKEN)
  await page.click('#signin-submit')
  await page.locator('#drivers-table tbody tr').first().waitFor()
  assert.equal(await page.locator('.tab[data-tab=drivers]').textContent(), 'Haydovchilar')
  assert.equal(await page.locator('.tab[data-tab=drivers]').getAttribute('aria-selected'), 'true')
  assert.match((await rows())[0] ?? '', /^\+998931112233Bobur AliyevCSV import/)
  assert.equal(await page.locator('#drivers-total').textContent(), 'jami 1 ta')

  // Added as typed, listed in E.164 on top, with who added it.
  await page.fill('#d-phone', '90 123-45-67'.replace(/^/, '998 '))
  await page.fill('#d-name', 'Aziz Karimov')
  await page.click('#drivers-add button[type=submit]')
  await rowCount(2)
  assert.equal(await page.locator('#drivers-note').textContent(), '+998901234567 ro‘yxatga qo‘shildi.')
  assert.match((await rows())[0] ?? '', /^\+998901234567Aziz KarimovBoshqaruv paneli/)
  assert.equal(await page.locator('#d-phone').inputValue(), '', 'the form is cleared')
  assert.deepEqual(await roster.get('+998901234567').then((d) => [d?.name, d?.added_by]), [
    'Aziz Karimov',
    'admin',
  ])
  await page.screenshot({ path: `${SHOTS}/admin-drivers.png`, fullPage: true })

  // The same number again is not an error; a number that is not a mobile one is refused in the page's language.
  await page.fill('#d-phone', '+998901234567')
  await page.click('#drivers-add button[type=submit]')
  await page.waitForFunction(() =>
    document.querySelector('#drivers-note')?.textContent.includes('allaqachon'),
  )
  await page.fill('#d-phone', '+99890')
  await page.click('#drivers-add button[type=submit]')
  await page.locator('#app-error').waitFor()
  assert.equal(
    await page.locator('#app-error').textContent(),
    "Hech narsa qo'shilmadi: noto'g'ri mobil raqam yoki ikki marta berilgan: +99890.",
  )
  assert.equal(await roster.count(), 2)

  // Search by a name, then every row again.
  await page.fill('#d-search', 'bobur')
  await page.press('#d-search', 'Enter')
  await rowCount(1)
  assert.match((await rows())[0] ?? '', /^\+998931112233/)
  await page.fill('#d-search', '')
  await page.press('#d-search', 'Enter')
  await rowCount(2)

  // Removal after the confirmation dialog: off the page and off the roster.
  page.once('dialog', (dialog) => {
    assert.equal(dialog.message(), '+998931112233 haydovchilar ro‘yxatidan o‘chirilsinmi?')
    void dialog.accept()
  })
  await page.click('#drivers-table button[data-phone="+998931112233"]')
  await rowCount(1)
  assert.equal(await roster.has('+998931112233'), false)
  assert.equal(await page.locator('#drivers-note').textContent(), '+998931112233 ro‘yxatdan o‘chirildi.')

  // Russian: the tab, its headings and its answers follow.
  await page.selectOption('#lang', 'ru')
  await page.locator('#drivers-table tbody tr').first().waitFor()
  assert.equal(await page.locator('.tab[data-tab=drivers]').textContent(), 'Водители')
  assert.deepEqual(await page.locator('#drivers-table thead th').allTextContents(), [
    'Номер',
    'Имя',
    'Кто добавил',
    'Добавлен',
    '',
  ])
  assert.equal(await page.locator('#drivers-add button[type=submit]').textContent(), 'Добавить водителя')
  await page.fill('#d-phone', '+998977654321')
  await page.click('#drivers-add button[type=submit]')
  await rowCount(2)
  assert.equal(await page.locator('#drivers-note').textContent(), '+998977654321 добавлен в список.')
  assert.match((await rows())[0] ?? '', /^\+998977654321—Панель управления/)
  page.once('dialog', (dialog) => {
    assert.equal(dialog.message(), 'Удалить +998977654321 из списка водителей?')
    void dialog.accept()
  })
  await page.click('#drivers-table button[data-phone="+998977654321"]')
  await rowCount(1)
  assert.equal(await page.locator('#drivers-note').textContent(), '+998977654321 удалён из списка.')
  assert.deepEqual(
    (await roster.list({ limit: 10 })).map((d) => d.phone),
    ['+998901234567'],
  )
  await page.screenshot({ path: `${SHOTS}/admin-drivers-ru.png`, fullPage: true })
  assert.deepEqual(problems, [])
})
