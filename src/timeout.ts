/**
 * Runs `fn` with a signal that aborts after `ms` (reason: a `TimeoutError`, as `AbortSignal.timeout` gives),
 * and clears the timer as soon as `fn` settles.
 *
 * `AbortSignal.timeout` cannot be cancelled: its timer, the signal and what listens to it stay alive for the
 * whole timeout after the request has finished. Per SMS at thousands a second that was a large share of the
 * objects V8 promotes and later has to collect (docs/SCALING.md), so the hot paths use this instead.
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
