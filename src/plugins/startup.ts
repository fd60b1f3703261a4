import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Check, Connector } from '../channels/connector.js'
import { CONNECTORS, describeRoutes } from '../channels/index.js'
import type { SmsProvider } from '../channels/provider.js'
import { describeError } from '../cli/context.js'
import type { Config } from '../config.js'
import { describeDatabase } from '../db/index.js'
import { redisAddress } from '../redis.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Each gateway checked live at start, by name: `failed` makes /ready answer `degraded`. Empty: unchecked. */
    gatewayChecks: Record<string, 'ok' | 'failed'>
  }
}

export interface StartupOptions {
  config: Config
  /** The providers in use (the configured ones, or a test's fakes). */
  providers: SmsProvider[]
  /** Whether to try each configured gateway's credentials now (off for a test's fakes and in APP_ENV=test). */
  liveChecks: boolean
}

/** One line that says what this process runs on: an operator sees a wrong database or gateway at once. */
export function startupSummary(config: Config, providers: SmsProvider[]): string {
  const routes = config.sms.enabled.length === 0 ? 'none' : describeRoutes(config.sms.routes)
  return [
    `Start-up: ${config.env} mode`,
    `database ${describeDatabase(config.database)}`,
    `Redis ${config.redis ? redisAddress(config.redis.url) : 'none'}`,
    `gateways ${providers.map((p) => p.name).join(', ')}`,
    `routes ${routes}`,
    `admin ${config.admin ? 'on' : 'off'}`,
  ].join(' | ')
}

/** Runs every enabled connector's doctor `live` check; a gateway fails when any of its checks does. */
async function checkGateways(config: Config, log: FastifyInstance['log']) {
  const settings = config.sms as unknown as Record<string, unknown>
  const enabled = (CONNECTORS as readonly Connector[]).filter((c) => settings[c.name] != null)
  const results = await Promise.all(
    enabled.map(async (c): Promise<[Connector, Check[]]> => {
      const context = { section: c.label, timeoutMs: config.sms.timeoutMs, describeError }
      try {
        return [c, await c.doctor.live(settings[c.name], context)]
      } catch (err) {
        return [c, [{ section: c.label, status: 'fail', message: describeError(err) }]]
      }
    }),
  )
  const verdicts: Record<string, 'ok' | 'failed'> = {}
  const failures: string[] = []
  for (const [c, checks] of results) {
    const failed = checks.filter((k) => k.status === 'fail')
    verdicts[c.name] = failed.length > 0 ? 'failed' : 'ok'
    for (const k of failed) {
      const line = `${c.label} failed its start-up check: ${k.message}${k.fix ? `. Fix: ${k.fix}` : ''}`
      failures.push(line)
      log.error(line)
    }
    for (const k of checks.filter((k) => k.status === 'warn'))
      log.warn(`${c.label}: ${k.message}${k.fix ? ` (${k.fix})` : ''}`)
    if (failed.length === 0 && checks.some((k) => k.status === 'ok'))
      log.info(`✅ ${c.label} checked: ${checks.map((k) => k.message).join('; ')}`)
  }
  return { verdicts, failures }
}

/**
 * What the start says about itself: the summary line, the warnings about unsafe settings, each gateway's
 * credentials tried live (a refusal degrades /ready, or stops the start under STRICT_STARTUP=true), and at
 * shutdown what it waits for.
 */
export const startupPlugin = fp(
  async (app: FastifyInstance, { config, providers, liveChecks }: StartupOptions) => {
    app.log.info(startupSummary(config, providers))
    if (config.env === 'production' && config.http.trustProxy === false)
      app.log.warn(
        "TRUST_PROXY is not set: behind a reverse proxy (nginx, a load balancer) every rider appears with the proxy's IP address and shares its per-IP limits (5 codes a minute for everyone). Set TRUST_PROXY to the proxy's address, e.g. TRUST_PROXY=127.0.0.1",
      )

    app.decorate('gatewayChecks', {} as Record<string, 'ok' | 'failed'>)
    if (liveChecks) {
      const { verdicts, failures } = await checkGateways(config, app.log)
      if (failures.length > 0 && config.startup.strict)
        throw new Error(`STRICT_STARTUP=true refuses to start: ${failures.join('; ')}`)
      app.gatewayChecks = verdicts
    }

    // Counted only to say at shutdown what the process waits for.
    const inFlight = new Set<FastifyRequest>()
    app.addHook('onRequest', (request, _reply, done) => {
      inFlight.add(request)
      done()
    })
    const finished = (request: FastifyRequest, _reply: unknown, done: () => void) => {
      inFlight.delete(request)
      done()
    }
    app.addHook('onResponse', finished)
    app.addHook('onRequestAbort', (request, done) => finished(request, null, done))
    app.addHook('preClose', async () => {
      const connections = await new Promise<number>((resolve) =>
        app.server.getConnections((err, n) => resolve(err ? 0 : n)),
      )
      app.log.info(
        `Shutting down: waiting for ${inFlight.size} in-flight request(s) on ${connections} open connection(s), then writing the statistics buffer and closing the database${config.redis ? ' and Redis' : ''}`,
      )
    })
  },
  { name: 'startup', dependencies: ['storage'] },
)
