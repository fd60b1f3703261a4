/**
 * Runs `fn` with a signal that aborts after `ms` (reason: a `TimeoutError`, as `AbortSignal.timeout` gives),
 * and clears the timer as soon as `fn` settles.
 *
 * `AbortSignal.timeout` cannot be cancelled: its timer, the signal and what listens to it would stay alive
 * for the whole timeout after every SMS that was answered in time.
 */
export async function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  )
  try {
    return await fn(controller.signal)
  } finally {
    clearTimeout(timer)
  }
}

/** A signal that never aborts, for a call that needs no deadline (an in-process provider). */
export const NO_DEADLINE: AbortSignal = new AbortController().signal
