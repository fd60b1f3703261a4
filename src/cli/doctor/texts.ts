import { dailySpend } from '../../admin/billing.js'
import type { Check } from '../../channels/connector.js'
import { EskizProvider } from '../../channels/eskiz/provider.js'
import { BALANCE_DAYS, type EskizReport, eskizReport, reportChecks } from '../../channels/eskiz/texts.js'
import type { Config } from '../../config.js'
import { notCreatedYet, openDatabase } from '../../db/index.js'
import { labelledTexts } from '../../otp/texts.js'

const SECTION = 'Eskiz texts'

/** So'm a day Eskiz cost over the last week of the SMS log; 0 when the database cannot tell. */
async function eskizPerDay(config: Config, now: number): Promise<number> {
  if (notCreatedYet(config.database)) return 0
  const handle = openDatabase(config.database)
  try {
    return await dailySpend(handle.db, 'eskiz', 'UZS', BALANCE_DAYS, now)
  } catch {
    // The storage checks report an unreachable database; without it the rate is unknown, not a failure here.
    return 0
  } finally {
    await handle.close()
  }
}

/** Whether Eskiz would bill every text as a service SMS, its prices, and how long the balance lasts. */
export async function eskizTextChecks(config: Config, now = Date.now()): Promise<Check[]> {
  const settings = config.sms.eskiz
  if (!settings) return []
  const provider = new EskizProvider(settings, config.sms.timeoutMs)
  const perDay = await eskizPerDay(config, now)
  let report: EskizReport
  try {
    report = await eskizReport(
      provider,
      labelledTexts(config.autofill, config.otp.length, config.otp.ttlSeconds / 60),
      perDay,
      AbortSignal.timeout(config.sms.timeoutMs * 4),
      now,
    )
  } catch (err) {
    // A login refused: the Eskiz section above says why.
    return [
      {
        section: SECTION,
        status: 'warn',
        message: `skipped: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]
  }
  return reportChecks(SECTION, report)
}
