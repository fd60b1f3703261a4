import type { Logger } from 'pino'
import { receiptStatus } from '../channels/index.js'
import { reportedCost } from '../pricing.js'
import type { ReceiptStatus, SmsLogStore } from '../stores/sms-log/index.js'

export type { ReceiptStatus }

/** Each gateway's delivery statuses onto one set (the connectors know their own spellings). */
export const mapReceiptStatus = receiptStatus

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

export interface ReceiptServiceOptions {
  smsLog: SmsLogStore
  log: Logger
  /** For receipts that report a price in UZS. */
  uzsPerUsd: number
  now?: () => number
}

/** Applies delivery receipts to the SMS log: idempotent, monotonic, and silent about messages it never sent. */
export class ReceiptService {
  private readonly now: () => number

  constructor(private readonly options: ReceiptServiceOptions) {
    this.now = options.now ?? Date.now
  }

  async record(receipt: Receipt): Promise<ReceiptOutcome> {
    const { log, smsLog, uzsPerUsd } = this.options
    const status = mapReceiptStatus(receipt.provider, receipt.rawStatus)
    if (!status) {
      log.warn(
        { provider: receipt.provider, rawStatus: receipt.rawStatus },
        `unknown delivery status from ${receipt.provider}: ${receipt.rawStatus}`,
      )
      return 'unknown_status'
    }
    const outcome = await smsLog.applyReceipt({
      provider: receipt.provider,
      logId: receipt.logId,
      providerMessageId: receipt.providerMessageId,
      rawStatus: receipt.rawStatus,
      status,
      errorCode: receipt.errorCode ?? null,
      reported: reportedCost(receipt.price, uzsPerUsd),
      at: this.now(),
    })
    if (outcome === 'unknown_message')
      log.info(
        { provider: receipt.provider, logId: receipt.logId, providerMessageId: receipt.providerMessageId },
        'delivery receipt for an unknown message: acknowledged, nothing recorded',
      )
    return outcome
  }
}
