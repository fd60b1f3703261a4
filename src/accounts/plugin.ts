import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { accountRoutes } from './routes.js'
import { AccountService } from './service.js'

/** The signed-in user's account: sessions and devices, a new number, deletion (docs/ACCOUNTS.md). */
export const accountsPlugin = fp(
  async (app: FastifyInstance) => {
    const accounts = new AccountService(app.stores.sessions)
    await app.register(accountRoutes, { prefix: '/api/v1', accounts })
  },
  { name: 'accounts', dependencies: ['storage', 'sessions', 'otp', 'abuse'] },
)
