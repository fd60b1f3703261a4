import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { driverRoutes } from './routes.js'
import { DriverService, type DriverServiceOptions } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The driver roster: who may sign in with the driver app. */
    drivers: DriverService
  }
}

export type DriversPluginOptions = DriverServiceOptions

/** The driver roster: its service, and its admin API under /api/v1/admin/drivers (behind ADMIN_TOKEN). */
export const driversPlugin = fp<DriversPluginOptions>(
  async (app: FastifyInstance, options) => {
    const service = new DriverService(app.stores.drivers, options)
    app.decorate('drivers', service)
    await app.register(driverRoutes, { prefix: '/api/v1/admin/drivers', service, gate: app.adminGate })
  },
  { name: 'drivers', dependencies: ['storage', 'admin'] },
)
