import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import type { SendResult, SmsMessage, SmsProvider } from '../../src/channels/provider.js'
import { parsePhone } from '../../src/phone/index.js'
import { SmsSender } from '../../src/sms/sender.js'
import { withTimeout } from '../../src/timeout.js'
import { buildTestApp, LogCapture } from '../helpers.js'

test('withTimeout aborts with a TimeoutError after the deadline', async () => {
  const reason = await withTimeout(
    20,
    (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason))),
  )
  assert.equal((reason as Error).name, 'TimeoutError')
})

test('withTimeout passes on the result and the error of what it runs', async () => {
  assert.equal(await withTimeout(1000, async () => 42), 42)
  await assert.rejects(
    withTimeout(1000, async () => {
      throw new Error('refused')
    }),
    /refused/,
  )
})

/** Keeps the signal of every message it is given. */
class SignalKeeper implements SmsProvider {
  readonly name = 'keeper'
  readonly signals: AbortSignal[] = []
  constructor(readonly inProcess = false) {}
  async send(_message: SmsMessage, signal: AbortSignal): Promise<SendResult> {
    this.signals.push(signal)
    return { providerMessageId: 'k-1', status: 'sent' }
  }
}

function senderFor(ta: Awaited<ReturnType<typeof buildTestApp>>, provider: SmsProvider): SmsSender {
  return new SmsSender({
    providers: [provider],
    smsLog: ta.app.stores.smsLog,
    log: pino(new LogCapture()),
    timeoutMs: 30,
    routes: null,
    circuit: { failures: 2, openMs: 30_000 },
    prices: { prices: [], uzsPerUsd: 12700 },
  })
}

test('a sent SMS leaves no timer behind: its deadline is cleared once the gateway has answered', async (t) => {
  // AbortSignal.timeout cannot be cleared: its timer would outlive every message by the whole timeout,
  // holding the signal alive. A cleared deadline never fires, which is what this test sees.
  const ta = await buildTestApp(t)
  const keeper = new SignalKeeper()
  const sender = senderFor(ta, keeper)
  const phone = parsePhone('+998901234567')
  assert.ok(phone)
  for (let i = 0; i < 3; i++) await sender.send(phone, 'code')
  await new Promise((r) => setTimeout(r, 100))
  assert.deepEqual(
    keeper.signals.map((s) => s.aborted),
    [false, false, false],
  )
})

test('an in-process provider (the development sink) is given no deadline: one never-aborting signal for all', async (t) => {
  const ta = await buildTestApp(t)
  const keeper = new SignalKeeper(true)
  const sender = senderFor(ta, keeper)
  const phone = parsePhone('+998901234567')
  assert.ok(phone)
  for (let i = 0; i < 3; i++) await sender.send(phone, 'code')
  assert.equal(new Set(keeper.signals).size, 1)
  assert.equal(keeper.signals[0]?.aborted, false)
})
