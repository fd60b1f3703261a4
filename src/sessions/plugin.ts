import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { deriveKey } from '../crypto.js'
import { SessionService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionService
  }
}

/** Users, access tokens and rotating refresh tokens. */
export const sessionsPlugin = fp<{ config: Pick<Config, 'secretKey'> }>(
  async (app: FastifyInstance, { config }) => {
    const sessions = new SessionService({
      store: app.stores.sessions,
      accessKey: deriveKey(config.secretKey, 'jwt-hs256'),
      refreshKey: deriveKey(config.secretKey, 'refresh-token'),
    })
    app.decorate('sessions', sessions)
  },
  { name: 'sessions', dependencies: ['storage'] },
)
