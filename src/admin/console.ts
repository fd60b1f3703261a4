import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { AppError } from '../errors.js'
import { publicDir, servePage } from '../http/page.js'

export const CONSOLE_ROOT = publicDir('admin')
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
  await servePage(app, { path: '/admin', root: CONSOLE_ROOT, csp: CSP })
  await app.register(fastifyStatic, {
    root: CHART_JS_DIR,
    prefix: '/admin/vendor/',
    decorateReply: false,
    allowedPath: (path) => path === '/chart.umd.min.js',
    maxAge: '1d',
  })
}
