import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { deriveKey } from '../crypto.js'
import { AccessTokens } from '../tokens/access.js'
import { SessionService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionService
  }
}

/** Users, access tokens (signed with the key ring's current key) and rotating refresh tokens. */
export const sessionsPlugin = fp<{ config: Pick<Config, 'secretKey' | 'tokens'> }>(
  async (app: FastifyInstance, { config }) => {
    const sessions = new SessionService({
      store: app.stores.sessions,
      tokens: new AccessTokens(app.keyRing, config.tokens),
      drivers: app.stores.drivers,
      refreshKey: deriveKey(config.secretKey, 'refresh-token'),
    })
    app.decorate('sessions', sessions)
  },
  { name: 'sessions', dependencies: ['storage', 'tokens'] },
)
