import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { field, type ReceiptEndpoint, type ReceiptStatus } from '../connector.js'
import type { TelegramSettings } from './settings.js'

/** How far a report's X-Request-Timestamp may be from our clock: older reports are replays. */
export const REPORT_MAX_AGE_S = 300

const STATUSES: Record<string, ReceiptStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  // Read implies delivered; it is kept as its own receipt row but moves nothing further.
  read: 'delivered',
  // Not delivered within the ttl: refunded.
  expired: 'undelivered',
  revoked: 'failed',
}

export const telegramReceiptStatus = (raw: string): ReceiptStatus | null =>
  STATUSES[raw.trim().toLowerCase()] ?? null

/**
 * Telegram's report signature: hex(HMAC-SHA256(key = SHA-256(token), timestamp + "\n" + raw body)). Whether
 * the key is the digest's 32 bytes or its hex text is not confirmed by the documentation, so both are tried;
 * each is a secret derived from the token, so accepting either gives a forger nothing.
 */
export function validTelegramSignature(
  token: string,
  timestamp: string,
  rawBody: string,
  signature: string,
): boolean {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false
  const given = Buffer.from(signature.toLowerCase(), 'hex')
  const digest = createHash('sha256').update(token).digest()
  const message = `${timestamp}\n${rawBody}`
  let valid = false
  for (const key of [digest, digest.toString('hex')]) {
    const expected = createHmac('sha256', key).update(message).digest()
    // No early exit: both comparisons always run.
    valid = timingSafeEqual(expected, given) || valid
  }
  return valid
}

/** A signed report, fresh and authentic; `nowS` is our clock in unix seconds. */
export function authenticReport(
  token: string,
  headers: Record<string, unknown>,
  rawBody: string | undefined,
  nowS: number,
): boolean {
  const timestamp = headers['x-request-timestamp']
  const signature = headers['x-request-signature']
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || rawBody === undefined) return false
  if (!/^[0-9]{1,12}$/.test(timestamp) || Math.abs(nowS - Number(timestamp)) > REPORT_MAX_AGE_S) return false
  return validTelegramSignature(token, timestamp, rawBody, signature)
}

export const telegramReceipts: ReceiptEndpoint<TelegramSettings> = {
  summary: 'Telegram Gateway delivery report (signed with X-Request-Signature and X-Request-Timestamp)',
  verify(settings, request) {
    return Boolean(
      settings && authenticReport(settings.token, request.headers, request.rawBody, Date.now() / 1000),
    )
  },
  parse(body) {
    const delivery = body.delivery_status as { status?: unknown } | undefined
    const status = field(delivery?.status)
    const requestId = field(body.request_id)
    if (!status || !requestId) return []
    const refunded = body.is_refunded === true || status === 'expired'
    const cost = Number(body.request_cost)
    return [
      {
        logId: field(body.payload),
        providerMessageId: requestId,
        rawStatus: status,
        // A refunded message costs nothing; otherwise the report restates the fee.
        price: refunded
          ? { amount: 0, currency: 'USD' }
          : body.request_cost !== undefined && Number.isFinite(cost)
            ? { amount: cost, currency: 'USD' }
            : null,
      },
    ]
  },
}
