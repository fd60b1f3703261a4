import type { Logger } from 'pino'
import type { SmsProvider } from '../channels/provider.js'
import type { Resolution, SmsLogStore } from '../stores/sms-log/index.js'

/** Rows older than this are left alone: no receipt comes for them any more, and the look stays on the index. */
const LOOK_BACK_MS = 3 * 24 * 3600 * 1000
/** At most this many rows per run, so a start after a long outage does not spend minutes asking gateways. */
const LIMIT = 500

export interface RecoveryOptions {
  smsLog: SmsLogStore
  /** The gateways as configured (their `status` look-up); a row whose gateway is missing becomes `unknown`. */
  providers: SmsProvider[]
  log: Logger
  /** SMS_TIMEOUT_MS: each gateway call gets this deadline, and an attempt twice as old is surely not in flight. */
  timeoutMs: number
  now?: () => number
  /** Stops the run (the server is closing): rows not reached stay `pending` for the next start. */
  signal?: AbortSignal
}

export interface RecoveryResult {
  /** Settled from the gateway's word. */
  resolved: number
  /** Marked `unknown`: the gateway could not tell, or could not be asked. */
  unknown: number
}

/**
 * Settles the SMS-log rows a crash left `pending` (the process died between writing the row and recording the
 * gateway's answer): receipts could never match them, and usage and billing undercounted. Each is asked from
 * its gateway where it can look a message up; otherwise it becomes `unknown`, which a receipt still moves on.
 */
export async function recoverPending(o: RecoveryOptions): Promise<RecoveryResult> {
  const now = o.now ?? Date.now
  const at = now()
  // Twice the deadline: another instance's attempt in flight has recorded its outcome by then.
  const rows = await o.smsLog.stale(at - LOOK_BACK_MS, at - 2 * o.timeoutMs, LIMIT)
  const result: RecoveryResult = { resolved: 0, unknown: 0 }
  const byName = new Map(o.providers.map((p) => [p.name, p]))
  /** Gateways that failed to answer once are not asked again in this run: one dead gateway costs one deadline. */
  const unreachable = new Set<string>()
  for (const row of rows) {
    if (o.signal?.aborted) break
    const provider = byName.get(row.provider)
    let resolution: Resolution = { id: row.id, status: 'unknown', providerMessageId: null, at: now() }
    if (provider?.status && !unreachable.has(row.provider)) {
      try {
        const deadline = AbortSignal.timeout(o.timeoutMs)
        const found = await provider.status(
          { messageId: row.id, providerMessageId: row.providerMessageId, to: row.phone, at: row.at },
          o.signal ? AbortSignal.any([deadline, o.signal]) : deadline,
        )
        if (found)
          resolution = { ...resolution, status: found.status, providerMessageId: found.providerMessageId }
      } catch (err) {
        if (o.signal?.aborted) break
        unreachable.add(row.provider)
        o.log.warn(
          `Could not ask ${row.provider} what became of SMS ${row.id}: ${(err as Error).message}; its rows left pending by the last stop are marked unknown`,
        )
      }
    }
    if (!(await o.smsLog.resolve(resolution))) continue
    if (resolution.status === 'unknown') result.unknown++
    else result.resolved++
  }
  if (result.resolved + result.unknown > 0)
    o.log.warn(
      `SMS log: ${result.resolved + result.unknown} attempt(s) left pending by an earlier stop: ${result.resolved} settled from their gateway, ${result.unknown} marked unknown`,
    )
  return result
}
