import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { runInNewContext } from 'node:vm'

const dir = 'public/admin'
const window: { ADMIN_I18N?: Record<string, Record<string, string>> } = {}
runInNewContext(readFileSync(`${dir}/i18n.js`, 'utf8'), { window })
const tables = window.ADMIN_I18N ?? {}

test('the console has every text in Uzbek, Russian and English', () => {
  assert.deepEqual(Object.keys(tables), ['uz', 'ru', 'en'])
  const keys = Object.keys(tables.en ?? {}).sort()
  for (const lang of ['uz', 'ru']) assert.deepEqual(Object.keys(tables[lang] ?? {}).sort(), keys, lang)
  for (const [lang, table] of Object.entries(tables))
    for (const [key, text] of Object.entries(table)) assert.ok(text.trim(), `${lang}.${key} is empty`)
})

test('every key the page and its script use exists', () => {
  const html = readFileSync(`${dir}/index.html`, 'utf8')
  // The shell and every tab module (i18n.js itself holds the tables, not uses of them).
  const js = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js') && f !== 'i18n.js')
    .map((f) => readFileSync(`${dir}/${f}`, 'utf8'))
    .join('\n')
  const used = new Set([
    ...[...html.matchAll(/data-i18n="(\w+)"/g)].map((m) => m[1] as string),
    ...[...js.matchAll(/\bt\('(\w+)'/g)].map((m) => m[1] as string),
  ])
  const missing = [...used].filter((k) => !(k in (tables.en ?? {})))
  assert.deepEqual(missing, [])
  // Keys built at run time: statuses, limits and subjects.
  for (const k of [
    'st_delivered',
    'st_failed',
    'limit_otp_ip',
    'limit_otp_resend',
    'subject_ip',
    'subject_number',
  ])
    assert.ok(k in (tables.en ?? {}), k)
})
