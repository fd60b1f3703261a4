import type { Logger } from 'pino'
import type { SendReservation } from '../abuse/guard.js'
import { type Phone, parsePhone } from '../phone/index.js'
import type { CodeStore } from '../stores/codes/index.js'
import type { DueDelivery, SmsLogStore } from '../stores/sms-log/index.js'
import { unseal } from './seal.js'
import type { SendRequest, SmsSender } from './sender.js'

/** Waits claimed per sweep: a burst beyond it is taken by the next sweep (a second later). */
const BATCH = 50

export interface FallbackOptions {
  sender: SmsSender
  smsLog: SmsLogStore
  codes: Pick<CodeStore, 'isLive'>
  /** Takes the message from the daily spending caps; throws when they refuse it (AbuseGuard.reserveSpend). */
  spend: (phone: Phone, provider: string, text: string) => Promise<SendReservation>
  resendKey: Buffer
  log: Logger
  /** SMS_TIMEOUT_MS: with the number of providers it bounds how long one fallback can take. */
  timeoutMs: number
  now?: () => number
}

/**
 * Sends a code again on its route's next step when the step before did not report delivery in time (or
 * reported it undelivered). The waits live in the SMS log's store, so any instance may pick one up, after a
 * restart too; each is claimed by exactly one instance for a lease long enough for a whole route's attempts,
 * so one code has at most one fallback in flight. A report that comes after the claim is recorded on its
 * attempt's row but changes nothing here.
 */
export class DeliveryFallback {
  private readonly now: () => number
  private readonly leaseMs: number

  constructor(private readonly o: FallbackOptions) {
    this.now = o.now ?? Date.now
    // Two passes over every provider (the sender tries them all again when every circuit is open), each
    // attempt within the deadline, and a margin for the SMS log's writes.
    this.leaseMs = 2 * o.timeoutMs * (o.sender.providerNames.length + 1) + 10_000
  }

  /** One sweep: claims the waits due at `at` and falls back on each; returns how many were claimed. */
  async runOnce(at = this.now()): Promise<number> {
    const due = await this.o.smsLog.claimDue(at, this.leaseMs, BATCH)
    await Promise.all(due.map((d) => this.fallBack(d, at)))
    return due.length
  }

  private async fallBack(d: DueDelivery, at: number): Promise<void> {
    const { sender, smsLog, log } = this.o
    try {
      const phone = parsePhone(d.phone)
      const sealed = d.sealed ? unseal(this.o.resendKey, d.id, d.sealed) : null
      // A code verified, replaced, burnt or expired meanwhile needs no second message; a seal that does not
      // open (SECRET_KEY changed) cannot give one.
      if (!phone || !sealed || d.expiresAt <= at || !(await this.o.codes.isLive(d.phone, d.codeId, at))) {
        await smsLog.settle(d.id, 'expired', this.now())
        return
      }
      const channel = d.channel ?? undefined
      const steps = sender.steps(phone.country, channel)
      if (d.nextStep >= steps.length) {
        await smsLog.settle(d.id, 'failed', this.now())
        return
      }
      const request: SendRequest = {
        id: d.id,
        phone,
        text: sealed.text,
        attempts: d.attempts,
        code: { code: sealed.code, codeId: d.codeId, expiresAt: d.expiresAt, channel },
        reason: 'delivery',
      }
      // A second message costs a second price: the daily caps count it, and refuse it as they would a code.
      const reservation = await this.o.spend(
        phone,
        steps[d.nextStep]?.provider.name ?? 'unknown',
        sealed.text,
      )
      const delivery = await sender.walk(steps, d.nextStep, request).catch(async (err) => {
        await reservation.release()
        throw err
      })
      log.info(
        { requestId: d.id, provider: delivery.provider },
        `📨 No delivery report in time for the code to ${phone.e164}: sent again via ${delivery.provider}`,
      )
      // A step that waits in turn has re-armed the wait; otherwise this fallback was the last.
      if (!delivery.waiting) await smsLog.settle(d.id, 'fell_back', this.now())
    } catch (err) {
      log.warn({ err, requestId: d.id }, `the delivery fallback for the code to ${d.phone} failed`)
      await smsLog.settle(d.id, 'failed', this.now()).catch(() => {})
    }
  }
}
