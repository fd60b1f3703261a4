import type { TextToCheck } from '../channels/eskiz/texts.js'
import type { SmsProvider } from '../channels/provider.js'
import type { Db } from '../db/index.js'
import type { OtpEvents } from '../otp/events.js'
import type { BlockStore } from '../stores/blocks/index.js'
import type { LimitStore } from '../stores/limits/index.js'
import { abuseReport } from './abuse.js'
import { balances, billingReport } from './billing.js'
import type { ProviderBalanceOut } from './billing-schemas.js'
import { channelReport } from './channels.js'
import { reportRange } from './days.js'
import { eskizTexts } from './eskiz.js'
import { messages, providersSeen } from './messages.js'
import { passkeySavings } from './passkeys.js'
import type { LogFilter, MessageOut } from './schemas.js'
import { usageReport } from './usage.js'

export interface AdminServiceOptions {
  /** The read model: Kysely over the service's database (SQLite or PostgreSQL), read only. */
  db: Db
  /** Who is at a rate limit now. */
  limits: LimitStore
  /** Prefixes blocked as SMS pumping; the console lifts them. */
  blocks: BlockStore
  /** The gateways, asked for their balances. */
  providers: readonly SmsProvider[]
  /** ADMIN_TIMEZONE: the zone the reports' days are cut in. */
  timeZone: string
  /** Trailing digits dropped from a number to get its prefix (PUMPING_PREFIX_DROP_DIGITS). @default 3 */
  prefixDropDigits?: number
  /** This instance's buffered statistics, written before otp_events is read (src/otp/events.ts). */
  events?: Pick<OtpEvents, 'flush'> | null
  /** Every text the service can send (each language, client and app), for the Eskiz checks. */
  texts?: readonly TextToCheck[]
}

/**
 * What the admin console shows: the SMS log (./messages.ts), usage (./usage.ts), costs (./billing.ts) and
 * abuse (./abuse.ts). Reports read the database through Kysely; what the stores own (limits, blocks) is asked
 * of the stores.
 */
export class AdminService {
  readonly timeZone: string
  private readonly options: AdminServiceOptions

  constructor(options: AdminServiceOptions) {
    this.options = options
    this.timeZone = options.timeZone
  }

  /** Names seen in the SMS log, for the filters. */
  async providersSeen(): Promise<string[]> {
    return await providersSeen(this.options.db)
  }

  /** The SMS log, one entry per message, newest first (see ./messages.ts). */
  async logs(
    filter: LogFilter,
    now = Date.now(),
  ): Promise<{ messages: MessageOut[]; next_cursor: string | null }> {
    return await messages(this.options.db, this.timeZone, filter, now)
  }

  /** Messages per day by status and provider, delivery and verification rates (default the last 30 days). */
  async usage(from: string | undefined, to: string | undefined, now = Date.now()) {
    const r = reportRange(this.timeZone, from, to, 30, now)
    await this.options.events?.flush()
    const [{ from: start, to: end, ...report }, byChannel] = await Promise.all([
      usageReport(this.options.db, r),
      channelReport(this.options.db, r.startMs, r.endMs),
    ])
    return { from: start, to: end, time_zone: this.timeZone, ...report, by_channel: byChannel }
  }

  /** Costs per day, country and provider over a range (default the last 30 days), and the current month. */
  async billing(from: string | undefined, to: string | undefined, now = Date.now()) {
    const r = reportRange(this.timeZone, from, to, 30, now)
    const report = await billingReport(this.options.db, r, now)
    const passkeys = await passkeySavings(this.options.db, r)
    return { ...report, time_zone: this.timeZone, passkeys, balances: await this.balances() }
  }

  /** Asks every provider that reports a balance, all at once, each within a few seconds. */
  async balances(): Promise<ProviderBalanceOut[]> {
    return await balances(this.options.providers)
  }

  /** Whether Eskiz bills every text as a service SMS, its prices per operator, how long the balance lasts. */
  async eskizTexts(now = Date.now()) {
    const { db, providers, texts = [] } = this.options
    return await eskizTexts(db, providers, texts, now)
  }

  /** Lifts a prefix block (the row stays as history, removed by "admin"); false when none is in force. */
  async unblock(prefix: string, now = Date.now()): Promise<boolean> {
    return await this.options.blocks.remove(prefix, 'admin', now)
  }

  /**
   * Who is held back right now (blocked prefixes, keys at a rate limit), and who sends the most in the last
   * `hours`: IPs by codes sent, number prefixes (the number without its last PUMPING_PREFIX_DROP_DIGITS
   * digits) by messages.
   */
  async abuse(hours: number, now = Date.now()) {
    await this.options.events?.flush()
    const { db, limits, blocks, prefixDropDigits = 3 } = this.options
    const report = await abuseReport({ db, limits, blocks, prefixDropDigits }, now - hours * 3_600_000, now)
    return { hours, ...report }
  }
}
