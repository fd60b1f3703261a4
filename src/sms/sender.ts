import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Db } from '../db/index.js'
import type { SmsStatus } from '../db/schema.js'
import type { Phone } from '../phone/index.js'
import { type SendResult, SmsError, type SmsProvider } from './provider.js'

export interface Delivery {
  provider: string
  providerMessageId: string | null
  logId: string
}

/**
 * Sends a text through the providers in order, recording every attempt in the SMS log. A retryable failure
 * moves on to the next provider; a permanent one (the number or the text is refused) stops at once, since
 * another gateway would refuse it too.
 */
export class SmsSender {
  constructor(
    private readonly providers: readonly SmsProvider[],
    private readonly db: Db,
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  get providerNames(): string[] {
    return this.providers.map((p) => p.name)
  }

  async send(phone: Phone, text: string): Promise<Delivery> {
    const requestId = randomUUID()
    let lastError: SmsError = new SmsError('unavailable', 'No SMS provider is configured')
    for (const [index, provider] of this.providers.entries()) {
      const logId = randomUUID()
      const now = Date.now()
      // Written before the gateway is called: a receipt may arrive before send() returns, and a crash
      // mid-send must still leave a trace of a message we may be billed for.
      await this.db
        .insertInto('sms_log')
        .values({
          id: logId,
          request_id: requestId,
          attempt: index + 1,
          phone: phone.e164,
          country: phone.country,
          operator: phone.operator,
          provider: provider.name,
          status: 'pending',
          created_at: now,
          updated_at: now,
        })
        .execute()
      try {
        const result = await this.attempt(provider, { to: phone.e164, text, messageId: logId })
        await this.record(logId, result.status, { provider_message_id: result.providerMessageId })
        this.logSuccess(provider.name, phone.e164, result)
        return { provider: provider.name, providerMessageId: result.providerMessageId, logId }
      } catch (err) {
        lastError =
          err instanceof SmsError ? err : new SmsError('unavailable', String(err), null, { cause: err })
        await this.record(logId, 'failed', { error_code: lastError.kind, error_message: lastError.message })
        this.logFailure(provider.name, phone.e164, lastError)
        if (!lastError.retryable) break
      }
    }
    throw lastError
  }

  private async attempt(
    provider: SmsProvider,
    message: Parameters<SmsProvider['send']>[0],
  ): Promise<SendResult> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    return await provider.send(message, signal)
  }

  private async record(
    id: string,
    status: SmsStatus,
    fields: { provider_message_id?: string | null; error_code?: string; error_message?: string },
  ): Promise<void> {
    await this.db
      .updateTable('sms_log')
      .set({ status, ...fields, updated_at: Date.now() })
      .where('id', '=', id)
      .execute()
  }

  private logSuccess(provider: string, to: string, result: SendResult): void {
    // Exact texts: the operators' runbooks grep for them.
    if (provider === 'twilio') this.log.info(`✅ SMS sent to ${to}. Message SID: ${result.providerMessageId}`)
    else this.log.info(`✅ SMS sent to ${to} via ${provider}. Message ID: ${result.providerMessageId}`)
  }

  private logFailure(provider: string, to: string, err: SmsError): void {
    this.log.warn(
      provider === 'twilio'
        ? `⚠️ Failed to send SMS to ${to}`
        : `⚠️ Failed to send SMS to ${to} via ${provider}`,
    )
    const name = provider === 'twilio' ? 'Twilio' : provider
    this.log.error(
      { provider, kind: err.kind, providerCode: err.providerCode },
      `${name} error sending SMS: ${err.message}`,
    )
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close?.()))
  }
}
