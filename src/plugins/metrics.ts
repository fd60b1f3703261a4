import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { registerChannelGauges } from '../metrics/channels.js'
import { registerMetrics } from '../metrics/http.js'
import { Metrics } from '../metrics/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/** Prometheus metrics: HTTP timings and OTP outcomes from the edges, and `GET /metrics`. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, { config }: { config: Pick<Config, 'metrics'> }) => {
    const metrics = new Metrics()
    app.decorate('metrics', metrics)
    registerMetrics(app, metrics, config.metrics.token)
    registerChannelGauges(metrics, app.storage.db.db)
  },
  { name: 'metrics', dependencies: ['storage'] },
)
