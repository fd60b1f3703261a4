import type { Logger } from 'pino'
import type { Db } from '../db/index.js'
import type { SmsStatus } from '../db/schema.js'
import { costColumns } from './log-writes.js'
import { reportedCost } from './pricing.js'

export type ReceiptStatus = Exclude<SmsStatus, 'pending'>

// Each gateway's delivery statuses onto one set. Unknown spellings are acknowledged and ignored.
const TWILIO: Record<string, ReceiptStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
}

// Eskiz writes message statuses (DELIVERED, REJECTED) and part statuses (DELIVRD, UNDELIV, REJECTD) in the
// same field, in any case.
const ESKIZ: Record<string, ReceiptStatus> = {
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

const PLAYMOBILE: Record<string, ReceiptStatus> = {
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

export function mapReceiptStatus(provider: string, raw: string): ReceiptStatus | null {
  const s = raw.trim()
  if (provider === 'twilio') return TWILIO[s.toLowerCase()] ?? null
  if (provider === 'eskiz') return ESKIZ[s.toUpperCase()] ?? null
  if (provider === 'playmobile') return PLAYMOBILE[s.toUpperCase().replaceAll(/[\s-]/g, '')] ?? null
  return null
}

/** How far along a message is; a receipt never moves a message backwards (delivered stays delivered). */
const RANK: Record<SmsStatus, number> = {
  pending: 0,
  queued: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
}
const BEFORE = (status: ReceiptStatus) =>
  (Object.keys(RANK) as SmsStatus[]).filter((s) => RANK[s] < RANK[status])

export interface Receipt {
  provider: string
  /** Our SMS-log id, when the gateway echoes it (Eskiz user_sms_id, Playmobile message-id). */
  logId?: string | undefined
  /** The gateway's own id (Twilio MessageSid, Eskiz request id). */
  providerMessageId?: string | undefined
  rawStatus: string
  errorCode?: string | null | undefined
  /** A price the receipt reports: replaces our estimate. */
  price?: { amount: number; currency: string } | null | undefined
}

export type ReceiptOutcome = 'updated' | 'unchanged' | 'unknown_message' | 'unknown_status'

/** Applies delivery receipts to the SMS log: idempotent, monotonic, and silent about messages it never sent. */
export class ReceiptService {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly uzsPerUsd: number,
    private readonly now: () => number = Date.now,
  ) {}

  async record(receipt: Receipt): Promise<ReceiptOutcome> {
    const status = mapReceiptStatus(receipt.provider, receipt.rawStatus)
    if (!status) {
      this.log.warn(
        { provider: receipt.provider, rawStatus: receipt.rawStatus },
        `unknown delivery status from ${receipt.provider}: ${receipt.rawStatus}`,
      )
      return 'unknown_status'
    }
    const row = await this.find(receipt)
    if (!row) {
      this.log.info(
        { provider: receipt.provider, logId: receipt.logId, providerMessageId: receipt.providerMessageId },
        'delivery receipt for an unknown message: acknowledged, nothing recorded',
      )
      return 'unknown_message'
    }
    const now = this.now()
    const inserted = await this.db
      .insertInto('sms_receipts')
      .values({
        sms_log_id: row.id,
        provider: receipt.provider,
        raw_status: receipt.rawStatus,
        status,
        error_code: receipt.errorCode ?? null,
        received_at: now,
      })
      .onConflict((oc) => oc.columns(['sms_log_id', 'raw_status']).doNothing())
      .executeTakeFirst()
    const times =
      status === 'delivered'
        ? { delivered_at: now }
        : status === 'undelivered' || status === 'failed'
          ? { failed_at: now }
          : {}
    const moved = await this.db
      .updateTable('sms_log')
      .set({
        status,
        updated_at: now,
        ...times,
        ...(receipt.errorCode && (status === 'undelivered' || status === 'failed')
          ? { error_code: receipt.errorCode }
          : {}),
      })
      .where('id', '=', row.id)
      .where('status', 'in', BEFORE(status))
      .executeTakeFirst()
    const cost = reportedCost(receipt.price, this.uzsPerUsd)
    if (cost)
      await this.db
        .updateTable('sms_log')
        .set({ ...costColumns(cost, 'provider'), updated_at: now })
        .where('id', '=', row.id)
        .execute()
    const changed = Number(moved.numUpdatedRows) > 0 || Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0
    return changed ? 'updated' : 'unchanged'
  }

  private async find(receipt: Receipt): Promise<{ id: string } | undefined> {
    const base = this.db.selectFrom('sms_log').select('id').where('provider', '=', receipt.provider)
    if (receipt.logId) {
      const byId = await base.where('id', '=', receipt.logId).executeTakeFirst()
      if (byId) return byId
    }
    if (receipt.providerMessageId)
      return await base.where('provider_message_id', '=', receipt.providerMessageId).executeTakeFirst()
    return undefined
  }
}
