import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { type adminGate, adminOnly } from '../admin/auth.js'
import { AppError } from '../errors.js'
import { errors } from '../http/schemas.js'
import type { Driver } from '../stores/drivers/index.js'
import { driverPhone } from './entries.js'
import { AddDriversBody, AddDriversResponse, DriverParams, DriversQuery, DriversResponse } from './schemas.js'
import type { DriverService } from './service.js'

export interface DriverRoutesOptions {
  service: DriverService
  /** The admin API's gate (ADMIN_TOKEN, wrong tries counted per IP), shared with the other admin routes. */
  gate: ReturnType<typeof adminGate>
}

const out = (d: Driver) => ({ ...d, created_at: new Date(d.created_at).toISOString() })

/** The driver roster under /api/v1/admin/drivers, behind ADMIN_TOKEN. */
export const driverRoutes: FastifyPluginAsyncTypebox<DriverRoutesOptions> = async (
  app,
  { service, gate },
) => {
  const { tags, security, denied } = adminOnly(app, gate)

  app.get(
    '',
    {
      schema: {
        tags,
        security,
        summary: 'The driver roster, newest first: numbers that may sign in with the driver app',
        querystring: DriversQuery,
        response: { 200: DriversResponse, ...denied, ...errors(422) },
      },
    },
    async (request) => {
      const page = await service.list(request.query)
      return { ...page, drivers: page.drivers.map(out) }
    },
  )

  app.post(
    '',
    {
      schema: {
        tags,
        security,
        summary:
          'Puts numbers on the driver roster, all or none (422 DRIVER_PHONE_INVALID names each refused)',
        body: AddDriversBody,
        response: { 200: AddDriversResponse, ...denied, ...errors(422) },
      },
    },
    async (request) => {
      const outcome = await service.add(request.body.drivers, 'admin')
      if (!outcome.ok) {
        const rejected = outcome.rejected.map(({ index, phone, reason, sameAs }) => ({
          index,
          phone,
          reason,
          ...(sameAs === undefined ? {} : { same_as: sameAs }),
        }))
        throw new AppError(
          'DRIVER_PHONE_INVALID',
          { phones: rejected.map((r) => r.phone).join(', ') },
          { rejected },
        )
      }
      if (outcome.added.length > 0)
        request.log.info(
          { drivers: outcome.added.map((d) => d.phone) },
          `🚕 ${outcome.added.length} driver(s) added to the roster from the admin console`,
        )
      return { added: outcome.added.map(out), already_present: outcome.alreadyPresent }
    },
  )

  app.delete(
    '/:phone',
    {
      schema: {
        tags,
        security,
        summary: "Takes a number off the driver roster and ends that number's driver sessions",
        params: DriverParams,
        response: { 204: Type.Null({ description: 'Removed' }), ...denied, ...errors(422) },
      },
    },
    async (request, reply) => {
      const phone = driverPhone(request.params.phone)
      if (phone === null) throw new AppError('INVALID_PHONE', {}, { expected_format: '+998901234567' })
      if (!(await service.remove(phone))) throw new AppError('DRIVER_NOT_FOUND')
      request.log.info({ phone }, `🚫 Driver ${phone} removed from the roster from the admin console`)
      return reply.status(204).send(null)
    },
  )
}
