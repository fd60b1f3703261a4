import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { KeyRing } from './keys.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The signing keys: the current one signs access tokens, it and the previous ones verify them. */
    keyRing: KeyRing
  }
}

export interface TokensPluginOptions {
  config: Pick<Config, 'tokens' | 'secretKey' | 'secretKeyGenerated'>
  /** How often the keys are read again (tests shorten it); default every 30 s. */
  keyReloadMs?: number | undefined
}

/**
 * Opens the key ring over the database (making the first key on a first start) before anything signs, and
 * stops its reloads on close. Its routes (src/tokens/routes.ts) are registered after the docs plugin.
 */
export const tokensPlugin = fp<TokensPluginOptions>(
  async (app: FastifyInstance, { config, keyReloadMs }) => {
    const keyRing = await KeyRing.open({
      store: app.stores.keys,
      secret: config.secretKey,
      algorithm: config.tokens.algorithm,
      accessTokenSeconds: config.tokens.accessTokenSeconds,
      // Fastify types its logger as the subset it uses; it is the service's pino logger (buildApp).
      log: app.log as Logger,
      secretIsEphemeral: config.secretKeyGenerated,
      ...(keyReloadMs === undefined ? {} : { reloadMs: keyReloadMs }),
    })
    app.decorate('keyRing', keyRing)
    app.addHook('onClose', async () => keyRing.close())
  },
  { name: 'tokens', dependencies: ['storage'] },
)
