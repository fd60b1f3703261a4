import { field, type ReceiptEndpoint, type ReceiptStatus, receiptPrice } from '../connector.js'
import type { EskizSettings } from './settings.js'

// Eskiz writes message statuses (DELIVERED, REJECTED) and part statuses (DELIVRD, UNDELIV, REJECTD) in the
// same field, in any case.
const STATUSES: Record<string, ReceiptStatus> = {
  NEW: 'queued',
  STORED: 'queued',
  WAITING: 'queued',
  ACCEPTED: 'sent',
  ENROUTE: 'sent',
  SENT: 'sent',
  PARTDELIVERED: 'sent',
  DELIVRD: 'delivered',
  DELIVERED: 'delivered',
  UNDELIV: 'undelivered',
  UNDELIVERABLE: 'undelivered',
  UNDELIVERED: 'undelivered',
  EXPIRED: 'undelivered',
  REJECTD: 'failed',
  REJECTED: 'failed',
  DELETED: 'failed',
  FAILED: 'failed',
}

export const eskizReceiptStatus = (raw: string): ReceiptStatus | null =>
  STATUSES[raw.trim().toUpperCase()] ?? null

export const eskizReceipts: ReceiptEndpoint<EskizSettings> = {
  summary: 'Eskiz delivery status callback (?token=WEBHOOK_TOKEN)',
  parse(body) {
    const status = field(body.status)
    if (!status) return []
    return [
      {
        logId: field(body.user_sms_id),
        providerMessageId: field(body.request_id),
        rawStatus: status,
        price: receiptPrice(body.total_price, 'UZS'),
      },
    ]
  },
}
