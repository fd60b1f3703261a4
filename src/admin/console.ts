import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { AppError } from '../errors.js'

/** public/admin, beside src/ and dist/ alike. */
export const CONSOLE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', 'admin')
const CHART_JS_DIR = dirname(createRequire(import.meta.url).resolve('chart.js'))

// Only our own files: no inline script or style, no other origin (the console shows numbers and IPs).
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * The admin console's static files under /admin (the page shell and its script: no data, which comes from the
 * admin API with the token), and Chart.js from node_modules under /admin/vendor. While ADMIN_TOKEN is unset
 * every /admin path answers 404 ADMIN_DISABLED.
 */
export const adminConsole: FastifyPluginAsync = async (app) => {
  if (!app.config.admin) {
    const disabled = async () => {
      throw new AppError('ADMIN_DISABLED')
    }
    app.get('/admin', { schema: { hide: true } }, disabled)
    app.get('/admin/*', { schema: { hide: true } }, disabled)
    return
  }
  app.addHook('onSend', async (_request, reply) => {
    void reply.headers({
      'Content-Security-Policy': CSP,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    })
  })
  // Relative links in the page need the trailing slash.
  app.get('/admin', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/admin/'))
  await app.register(fastifyStatic, {
    root: CONSOLE_ROOT,
    prefix: '/admin/',
    decorateReply: false,
    cacheControl: true,
    maxAge: 0,
  })
  await app.register(fastifyStatic, {
    root: CHART_JS_DIR,
    prefix: '/admin/vendor/',
    decorateReply: false,
    allowedPath: (path) => path === '/chart.umd.min.js',
    maxAge: '1d',
  })
}
