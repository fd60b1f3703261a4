import { field, type ReceiptEndpoint, type ReceiptStatus, receiptPrice } from '../connector.js'
import { sdk } from './sdk.js'
import type { TwilioSettings } from './settings.js'

const STATUSES: Record<string, ReceiptStatus> = {
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

export const twilioReceiptStatus = (raw: string): ReceiptStatus | null =>
  STATUSES[raw.trim().toLowerCase()] ?? null

/** Checks the X-Twilio-Signature of a status callback: Twilio signs the URL it called plus the form fields. */
export function validTwilioSignature(
  authToken: string,
  signature: string,
  url: string,
  params: Record<string, string>,
): boolean {
  return sdk().validateRequest(authToken, signature, url, params)
}

export const twilioReceipts: ReceiptEndpoint<TwilioSettings> = {
  summary: 'Twilio delivery status callback (signed with X-Twilio-Signature)',
  verify(settings, request, links) {
    const base = links.publicBaseUrl
    const signature = request.headers['x-twilio-signature']
    // Twilio signs the URL it called (our public one) plus the sorted form parameters.
    return Boolean(
      settings &&
        base &&
        typeof signature === 'string' &&
        validTwilioSignature(
          settings.authToken,
          signature,
          `${base}${request.url}`,
          request.body as Record<string, string>,
        ),
    )
  },
  parse(params) {
    const status = field(params.MessageStatus) ?? field(params.SmsStatus)
    const sid = field(params.MessageSid) ?? field(params.SmsSid)
    if (!status || !sid) return []
    return [
      {
        providerMessageId: sid,
        rawStatus: status,
        errorCode: field(params.ErrorCode) ?? null,
        price: receiptPrice(params.Price, field(params.PriceUnit) ?? 'USD'),
      },
    ]
  },
}
