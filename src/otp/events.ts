import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Db } from '../db/index.js'
import type { OtpEventKind } from '../db/schema.js'

/**
 * Writes the record of codes sent and verified that the admin console's statistics read. Best effort: a
 * statistic that could not be written must not fail a sign-in that has already succeeded.
 */
export class OtpEvents {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  async record(
    kind: OtpEventKind,
    phone: { e164: string; country: string },
    ip: string | null,
  ): Promise<void> {
    try {
      await this.db
        .insertInto('otp_events')
        .values({
          id: randomUUID(),
          kind,
          phone: phone.e164,
          country: phone.country,
          ip,
          created_at: Date.now(),
        })
        .execute()
    } catch (err) {
      this.log.warn({ err, kind }, 'could not record an OTP event for the admin statistics')
    }
  }
}
