import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible'
import { AppError, type ErrorCode } from '../errors.js'

/** A 429 with Retry-After: `seconds`. */
export function tooMany(code: ErrorCode, seconds: number): AppError {
  return new AppError(code, { seconds }, { retry_after: seconds }, seconds)
}

/** Whole seconds until a refused key may try again, at least 1. */
export function retrySeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
}

/**
 * Consumes one point. A rejection becomes a 429 with Retry-After; a store failure (Redis or the database down)
 * becomes 503: with no working limit we do not send.
 */
export async function consumeOrThrow(
  limiter: RateLimiterAbstract,
  key: string,
  code: ErrorCode,
): Promise<void> {
  try {
    await limiter.consume(key)
  } catch (err) {
    if (err instanceof RateLimiterRes) throw tooMany(code, retrySeconds(err))
    throw new AppError('SERVICE_UNAVAILABLE', {}, {}, undefined, err)
  }
}
