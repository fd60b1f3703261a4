import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { NewSmsLog, OtpEventKind, SmsStatus } from '../../src/db/schema.js'

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef'
export const ADMIN_ENV = { ADMIN_TOKEN, ADMIN_TIMEZONE: 'Asia/Tashkent' }
export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** Epoch ms of a wall-clock time in Tashkent (UTC+5, no DST). */
export const tashkent = (day: string, time = '12:00') => Date.parse(`${day}T${time}:00+05:00`)

export interface SeedMessage {
  phone: string
  country?: string
  at: number
  /** One entry per attempt: provider and status (the last is the outcome). */
  attempts: [provider: string, status: SmsStatus][]
}

/** Writes SMS-log rows as SmsSender would, one request id per message. */
export async function seedMessages(app: FastifyInstance, messages: SeedMessage[]): Promise<string[]> {
  const rows: NewSmsLog[] = []
  const ids: string[] = []
  for (const m of messages) {
    const requestId = randomUUID()
    ids.push(requestId)
    m.attempts.forEach(([provider, status], i) => {
      rows.push({
        id: randomUUID(),
        request_id: requestId,
        attempt: i + 1,
        phone: m.phone,
        country: m.country ?? 'UZ',
        operator: m.country && m.country !== 'UZ' ? null : 'Beeline',
        provider,
        provider_message_id: status === 'failed' ? null : `PM${rows.length}`,
        status,
        error_code: status === 'failed' ? 'unavailable' : null,
        error_message: status === 'failed' ? 'gateway down' : null,
        created_at: m.at + i,
        updated_at: m.at + i,
      })
    })
  }
  if (rows.length) await app.storage.db.db.insertInto('sms_log').values(rows).execute()
  return ids
}

export async function seedEvents(
  app: FastifyInstance,
  events: { kind: OtpEventKind; phone: string; ip?: string; at: number }[],
): Promise<void> {
  if (events.length === 0) return
  await app.storage.db.db
    .insertInto('otp_events')
    .values(
      events.map((e) => ({
        id: randomUUID(),
        kind: e.kind,
        phone: e.phone,
        country: 'UZ',
        ip: e.ip ?? null,
        created_at: e.at,
      })),
    )
    .execute()
}
