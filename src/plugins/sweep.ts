import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** How often expired codes, refresh tokens long past their expiry and ended rate-limit windows are deleted. */
export const EXPIRED_ROWS_SWEEP_MS = 10 * 60 * 1000

/** Removes, every ten minutes, the rows nothing will read again (Redis expires its keys by itself). */
export const sweepPlugin = fp(
  async (app: FastifyInstance) => {
    const { stores, sessions, log } = app
    const sweep = setInterval(() => {
      const now = Date.now()
      stores.codes.sweep(now).catch((err) => log.warn({ err }, 'could not remove expired codes'))
      stores.challenges
        .sweep(now)
        .catch((err) => log.warn({ err }, 'could not remove expired passkey challenges'))
      sessions
        .sweep(now)
        .then(
          (removed) => removed > 0 && log.info({ removed }, `removed ${removed} expired refresh token(s)`),
        )
        .catch((err) => log.warn({ err }, 'could not remove expired refresh tokens'))
      stores.limits
        .sweep(now)
        .then(
          (removed) => removed > 0 && log.info({ removed }, `removed ${removed} expired rate-limit row(s)`),
        )
        .catch((err) => log.warn({ err }, 'could not remove expired rate-limit rows'))
    }, EXPIRED_ROWS_SWEEP_MS)
    sweep.unref()
    app.addHook('onClose', async () => clearInterval(sweep))
  },
  { name: 'sweep', dependencies: ['storage', 'sessions'] },
)
