import type { Logger } from 'pino'

export interface CircuitSettings {
  /** Retryable failures in a row that take a provider out of rotation. */
  failures: number
  /** How long it stays out before one trial message is let through. */
  openMs: number
}

interface State {
  failures: number
  /** When the circuit opened; null while closed. */
  openedAt: number | null
  /** A trial message is under way (half-open): others keep skipping the provider until it settles. */
  probing: boolean
  lastError: string
}

/**
 * One circuit breaker per provider, in this process. A provider that failed `failures` times in a row is
 * skipped for `openMs`; then a single trial message goes to it: success closes the circuit (logged as recovered),
 * failure opens it for another `openMs`. Only retryable failures count: a refused number says nothing about
 * the gateway's health.
 */
export class CircuitBreakers {
  private readonly states = new Map<string, State>()

  constructor(
    private readonly settings: CircuitSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private state(provider: string): State {
    let s = this.states.get(provider)
    if (!s) {
      s = { failures: 0, openedAt: null, probing: false, lastError: '' }
      this.states.set(provider, s)
    }
    return s
  }

  /** Whether a message may go to `provider` now; claims the trial slot when the open period is over. */
  tryAcquire(provider: string): boolean {
    const s = this.state(provider)
    if (s.openedAt === null) return true
    if (s.probing || this.now() - s.openedAt < this.settings.openMs) return false
    s.probing = true
    return true
  }

  /**
   * Gives back a trial slot claimed for a message that never reached the provider (the SMS log could not be
   * written): nothing was learnt about the gateway, and a slot kept would skip it until every other failed.
   */
  release(provider: string): void {
    const s = this.states.get(provider)
    if (s) s.probing = false
  }

  isOpen(provider: string): boolean {
    return this.states.get(provider)?.openedAt != null
  }

  succeeded(provider: string): void {
    const s = this.state(provider)
    if (s.openedAt !== null)
      this.log.info(
        { provider, outageMs: this.now() - s.openedAt },
        `✅ SMS provider ${provider} recovered: back in rotation`,
      )
    s.failures = 0
    s.openedAt = null
    s.probing = false
  }

  failed(provider: string, message: string): void {
    const s = this.state(provider)
    s.failures += 1
    s.lastError = message
    const seconds = Math.round(this.settings.openMs / 1000)
    if (s.probing) {
      s.probing = false
      s.openedAt = this.now()
      this.log.warn(
        { provider, failures: s.failures },
        `🔌 SMS provider ${provider} still failing: skipped for another ${seconds} s (${message})`,
      )
    } else if (s.openedAt === null && s.failures >= this.settings.failures) {
      s.openedAt = this.now()
      this.log.warn(
        { provider, failures: s.failures },
        `🔌 SMS provider ${provider} failed ${s.failures} times in a row: skipped for ${seconds} s (${message})`,
      )
    }
  }

  /** Per provider: open or closed, for health pages and the console. */
  snapshot(): Record<string, { open: boolean; failures: number; lastError: string }> {
    return Object.fromEntries(
      [...this.states].map(([p, s]) => [
        p,
        { open: s.openedAt !== null, failures: s.failures, lastError: s.lastError },
      ]),
    )
  }
}
