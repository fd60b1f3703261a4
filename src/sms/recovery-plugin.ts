import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import type { SmsProvider } from '../channels/provider.js'
import type { Config } from '../config.js'
import { recoverPending } from './recovery.js'

export interface RecoveryPluginOptions {
  config: Pick<Config, 'sms'>
  providers: SmsProvider[]
}

/**
 * Settles the SMS-log rows an earlier crash left `pending`, in the background once the server listens (so
 * `inject` tests and the CLI never run it), and once more when the attempts made just before this start are
 * past their deadline. Start-up does not wait for the gateways; closing stops the run and waits for it.
 */
export const recoveryPlugin = fp<RecoveryPluginOptions>(
  async (app: FastifyInstance, { config, providers }) => {
    const log = app.log as Logger
    const timeoutMs = config.sms.timeoutMs
    const stop = new AbortController()
    let running: Promise<unknown> = Promise.resolve()
    let timer: NodeJS.Timeout | undefined
    const run = () => {
      running = running
        .then(() =>
          recoverPending({ smsLog: app.stores.smsLog, providers, log, timeoutMs, signal: stop.signal }),
        )
        .catch((err) => log.error({ err }, 'SMS log: settling the attempts left pending failed'))
    }
    app.addHook('onListen', async () => {
      if (timer) return // several addresses: one run
      run()
      timer = setTimeout(run, 2 * timeoutMs + 1000).unref()
    })
    app.addHook('onClose', async () => {
      clearTimeout(timer)
      stop.abort()
      await running
    })
  },
  { name: 'sms-recovery', dependencies: ['storage'] },
)
