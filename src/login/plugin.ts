import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { publicDir, servePage } from '../http/page.js'

export const LOGIN_ROOT = publicDir('login')
// The package's ES module build (its "import" export; require() would find the CommonJS one): index.js and
// the files it imports, served as they are, with no bundler.
const WEBAUTHN_ESM = dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser')))

/**
 * The page's policy: its own scripts, styles, images and API only. No inline script or style, so markup
 * injected into the page cannot run code where the tokens are. WebOTP and WebAuthn need no directive: both
 * are allowed to the page's own origin by default.
 */
export const LOGIN_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * The sign-in page (issue 30, point 5): public/login under /login/ and @simplewebauthn/browser under
 * /login/vendor/webauthn/. The page holds no data; it talks to the public API as any web client would.
 */
export const loginPage: FastifyPluginAsync = async (app) => {
  await servePage(app, { path: '/login', root: LOGIN_ROOT, csp: LOGIN_CSP })
  await app.register(fastifyStatic, {
    root: WEBAUTHN_ESM,
    prefix: '/login/vendor/webauthn/',
    decorateReply: false,
    // Only the library's code: not its type declarations, source maps or package.json.
    allowedPath: (path) => path.endsWith('.js'),
    // Revalidated too: its files import one another, and after an upgrade a cached file of the old version
    // must not meet a new one.
    maxAge: 0,
  })
}
