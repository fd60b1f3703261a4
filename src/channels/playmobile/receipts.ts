import { field, type ReceiptEndpoint, type ReceiptStatus } from '../connector.js'
import type { PlaymobileSettings } from './settings.js'

const STATUSES: Record<string, ReceiptStatus> = {
  QUEUED: 'queued',
  NEW: 'queued',
  TRANSMITTED: 'sent',
  SENT: 'sent',
  ACCEPTED: 'sent',
  ENROUTE: 'sent',
  DELIVERED: 'delivered',
  DELIVRD: 'delivered',
  READ: 'delivered',
  NOTDELIVERED: 'undelivered',
  NOT_DELIVERED: 'undelivered',
  UNDELIVERED: 'undelivered',
  UNDELIVERABLE: 'undelivered',
  UNDELIV: 'undelivered',
  EXPIRED: 'undelivered',
  REJECTED: 'failed',
  REJECTD: 'failed',
  FAILED: 'failed',
  DELETED: 'failed',
}

export const playmobileReceiptStatus = (raw: string): ReceiptStatus | null =>
  STATUSES[raw.trim().toUpperCase().replaceAll(/[\s-]/g, '')] ?? null

export const playmobileReceipts: ReceiptEndpoint<PlaymobileSettings> = {
  summary: 'Playmobile delivery report (?token=WEBHOOK_TOKEN)',
  parse(body) {
    // One report or a batch: {"messages": [{"message-id", "status", …}, …]}.
    const reports = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [body]
    return reports.slice(0, 100).flatMap((report) => {
      const status = field(report?.status)
      const id = field(report?.['message-id']) ?? field(report?.message_id)
      return status && id
        ? [{ logId: id, rawStatus: status, errorCode: field(report['error-code']) ?? null }]
        : []
    })
  },
}
