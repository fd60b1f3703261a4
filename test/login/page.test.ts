import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { LOGIN_CSP, LOGIN_ROOT } from '../../src/login/plugin.js'
import { buildTestApp } from '../helpers.js'

const TYPES: Record<string, RegExp> = {
  html: /^text\/html; charset=utf-8$/,
  css: /^text\/css; charset=utf-8$/,
  js: /^(text|application)\/javascript; charset=utf-8$/,
  svg: /^image\/svg\+xml$/,
}

/** The files a page or module loads: src/href attributes, `import … from` and `import()` specifiers. */
function references(body: string): string[] {
  const found = [
    ...body.matchAll(/\b(?:src|href)="([^"]+)"/g),
    ...body.matchAll(/\bfrom\s+'([^']+)'/g),
    ...body.matchAll(/\bimport\s*\(\s*'([^']+)'/g),
  ]
  return found.map((m) => m[1] as string)
}

test('/login and every file it loads come from the app, with their types and the page CSP', async (t) => {
  const { app } = await buildTestApp(t)
  const redirect = await app.inject('/login')
  assert.equal(redirect.statusCode, 302)
  assert.equal(redirect.headers.location, '/login/')

  // Walk the page and its modules as the browser would, from /login/ outwards.
  const queue = ['/login/']
  const seen = new Set<string>()
  while (queue.length > 0) {
    const url = queue.shift() as string
    if (seen.has(url)) continue
    seen.add(url)
    const res = await app.inject(url)
    assert.equal(res.statusCode, 200, url)
    const kind = url.endsWith('/') ? 'html' : (url.split('.').pop() as string)
    assert.match(String(res.headers['content-type']), TYPES[kind] as RegExp, url)
    assert.equal(res.headers['content-security-policy'], LOGIN_CSP, url)
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url)
    assert.equal(res.headers['x-frame-options'], 'DENY', url)
    const ours = !url.includes('/vendor/')
    for (const ref of references(res.body)) {
      assert.doesNotMatch(ref, /^([a-z]+:|\/\/)/i, `${url} loads ${ref} from elsewhere`)
      if (kind !== 'css') queue.push(new URL(ref, `http://app${url}`).pathname)
    }
    // Our own files name no other site at all (the library's comments link to the WebAuthn spec; an SVG's
    // xmlns is a name, never fetched).
    const text = res.body.replace(/xmlns="[^"]*"/g, '')
    if (ours) assert.doesNotMatch(text, /(https?:)?\/\/[a-z0-9-]+\.[a-z]/i, `${url} names another site`)
    if (kind === 'html') {
      assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
      assert.doesNotMatch(res.body, /\sstyle=|\son[a-z]+=/i, 'no inline style or handler')
      assert.match(res.body, /<html lang="uz">/)
    }
  }
  for (const file of ['app.js', 'api.js', 'ui.js', 'i18n.js', 'passkeys.js', 'login.css', 'favicon.svg'])
    assert.ok(seen.has(`/login/${file}`), `${file} is loaded`)
  assert.ok(seen.has('/login/vendor/webauthn/index.js'), '@simplewebauthn/browser is served by the app')
  assert.ok(seen.has('/login/vendor/webauthn/methods/startRegistration.js'), 'with the files it imports')

  // Only the library's code leaves node_modules.
  for (const url of ['/login/vendor/webauthn/index.d.ts', '/login/vendor/webauthn/package.json'])
    assert.equal((await app.inject(url)).statusCode, 404, url)
  // The API keeps its own policy: nothing on it may run a script.
  const api = await app.inject('/health')
  assert.equal(api.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'")
})

test('the page texts exist in uz, ru and en, and every text the HTML names is there', async () => {
  // A string, not a literal path, so TypeScript does not look for the browser module's types.
  const i18n: string = pathToFileURL(join(LOGIN_ROOT, 'i18n.js')).href
  const { LANGUAGES, TEXTS } = (await import(i18n)) as {
    LANGUAGES: string[]
    TEXTS: Record<string, Record<string, string>>
  }
  assert.deepEqual(LANGUAGES, ['uz', 'ru', 'en'])
  const keys = Object.keys(TEXTS.en as object).sort()
  for (const lang of LANGUAGES) {
    assert.deepEqual(Object.keys(TEXTS[lang] as object).sort(), keys, lang)
    for (const [key, text] of Object.entries(TEXTS[lang] as object))
      assert.ok(typeof text === 'string' && text.trim() !== '', `${lang}.${key}`)
  }
  const html = readFileSync(join(LOGIN_ROOT, 'index.html'), 'utf8')
  for (const [, key] of html.matchAll(/data-i18n="([^"]+)"/g)) assert.ok(keys.includes(key as string), key)
})
