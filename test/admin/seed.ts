import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { AdminService } from '../../src/admin/service.js'
import type { NewSmsLog, OtpEventKind, SmsStatus } from '../../src/db/schema.js'

/** Prices the seeds charge per attempt that reached a gateway: Eskiz in so'm, Twilio in dollars. */
const SEED_PRICES: Record<string, { cost: number; currency: string; usd: number }> = {
  eskiz: { cost: 90, currency: 'UZS', usd: 0.007087 },
  twilio: { cost: 0.053, currency: 'USD', usd: 0.053 },
}
const RECEIPT_STATUSES = new Set<SmsStatus>(['delivered', 'undelivered'])

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef'
export const ADMIN_ENV = { ADMIN_TOKEN, ADMIN_TIMEZONE: 'Asia/Tashkent' }
export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** Epoch ms of a wall-clock time in Tashkent (UTC+5, no DST). */
export const tashkent = (day: string, time = '12:00') => Date.parse(`${day}T${time}:00+05:00`)

/** The admin reports over `app`'s database in Tashkent's days, for a test to ask with a `now` of its own. */
export const tashkentReports = (app: FastifyInstance) =>
  new AdminService({
    db: app.storage.db.db,
    limits: app.stores.limits,
    blocks: app.stores.blocks,
    providers: [],
    timeZone: 'Asia/Tashkent',
  })

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
  const receipts: {
    sms_log_id: string
    provider: string
    raw_status: string
    status: SmsStatus
    received_at: number
  }[] = []
  const ids: string[] = []
  for (const m of messages) {
    const requestId = randomUUID()
    ids.push(requestId)
    m.attempts.forEach(([provider, status], i) => {
      const id = randomUUID()
      const price = status === 'failed' ? undefined : SEED_PRICES[provider]
      if (RECEIPT_STATUSES.has(status))
        receipts.push({
          sms_log_id: id,
          provider,
          raw_status: status === 'delivered' ? 'DELIVRD' : 'UNDELIV',
          status,
          received_at: m.at + i + 4000,
        })
      rows.push({
        id,
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
        segments: 1,
        cost: price?.cost ?? null,
        currency: price?.currency ?? null,
        cost_usd: price?.usd ?? null,
        price_source: price ? 'estimate' : null,
        created_at: m.at + i,
        updated_at: m.at + i,
      })
    })
  }
  if (rows.length) await app.storage.db.db.insertInto('sms_log').values(rows).execute()
  if (receipts.length) await app.storage.db.db.insertInto('sms_receipts').values(receipts).execute()
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

/** A deterministic pseudo-random sequence (mulberry32), so seeded screens look the same every run. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Two weeks of plausible traffic ending now: mostly Uzbek numbers through eskiz, some failovers to twilio,
 * a few foreign numbers, with codes sent and verified from a handful of IPs.
 */
export async function seedTraffic(app: FastifyInstance, now = Date.now()): Promise<void> {
  const rnd = random(42)
  const pick = <T>(items: T[]): T => items[Math.floor(rnd() * items.length)] as T
  const messages: SeedMessage[] = []
  const events: { kind: OtpEventKind; phone: string; ip?: string; at: number }[] = []
  const ips = ['94.158.52.10', '213.230.64.7', '84.54.120.33', '185.139.137.2', '37.110.210.18']
  for (let day = 13; day >= 0; day--) {
    const count = 12 + Math.floor(rnd() * 14) + (13 - day)
    for (let i = 0; i < count; i++) {
      const at = now - day * 86_400_000 - Math.floor(rnd() * (day === 0 ? 3_600_000 : 80_000_000))
      const foreign = rnd() < 0.12
      const phone = foreign
        ? pick(['+79161234567', '+77011234567', '+905321234567'])
        : `+99890${String(1_000_000 + Math.floor(rnd() * 8_999_999))}`
      const r = rnd()
      const attempts: SeedMessage['attempts'] = foreign
        ? [['twilio', r < 0.85 ? 'delivered' : 'undelivered']]
        : r < 0.78
          ? [['eskiz', 'delivered']]
          : r < 0.88
            ? [
                ['eskiz', 'failed'],
                ['twilio', 'delivered'],
              ]
            : r < 0.94
              ? [['eskiz', 'undelivered']]
              : r < 0.97
                ? [['eskiz', 'sent']]
                : [
                    ['eskiz', 'failed'],
                    ['twilio', 'failed'],
                  ]
      messages.push({
        phone,
        country: foreign ? (phone.startsWith('+90') ? 'TR' : phone.startsWith('+77') ? 'KZ' : 'RU') : 'UZ',
        at,
        attempts,
      })
      const last = attempts.at(-1)?.[1]
      if (last === 'failed') continue
      const ip = pick(ips)
      events.push({ kind: 'sent', phone, ip, at })
      if (rnd() < 0.83) events.push({ kind: 'verified', phone, ip, at: at + 40_000 })
    }
  }
  await seedMessages(app, messages)
  await seedEvents(app, events)
}
