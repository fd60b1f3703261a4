import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** public/<name>, beside src/ and dist/ alike. */
export const publicDir = (name: string): string =>
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', name)

/**
 * A page of static files (the admin console, the sign-in page) under `path`/, from `root`. Call it inside the
 * page's own plugin, not one wrapped in fastify-plugin: its headers then reach that plugin's routes only,
 * vendor files registered after it included.
 */
export async function servePage(
  app: FastifyInstance,
  { path, root, csp }: { path: string; root: string; csp: string },
): Promise<void> {
  // Set when the answer leaves, after the security hook's JSON defaults (which forbid every script).
  app.addHook('onSend', async (_request, reply) => {
    void reply.headers({
      'Content-Security-Policy': csp,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    })
  })
  // Relative links in the page need the trailing slash.
  app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${path}/`))
  await app.register(fastifyStatic, {
    root,
    prefix: `${path}/`,
    decorateReply: false,
    // Revalidated on every load, so a deploy reaches the page at once (ETag makes that cheap).
    cacheControl: true,
    maxAge: 0,
  })
}
