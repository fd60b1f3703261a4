import type { Config } from '../config.js'
import { AppError } from '../errors.js'
import { withTimeout } from '../timeout.js'

const TIMEOUT_MS = 5000

/**
 * Checks a CAPTCHA token with Cloudflare Turnstile or hCaptcha. Both take the same form
 * (`secret`, `response`, `remoteip`) and answer `{"success": bool, "error-codes": [...]}`:
 * https://developers.cloudflare.com/turnstile/get-started/server-side-validation/ and
 * https://docs.hcaptcha.com/#verify-the-user-response-server-side. A provider that cannot be reached
 * refuses the request (503): a CAPTCHA that fails open is no CAPTCHA.
 */
export class CaptchaVerifier {
  constructor(private readonly config: NonNullable<Config['captcha']>) {}

  get provider(): string {
    return this.config.provider
  }

  async verify(token: string | undefined, ip: string): Promise<void> {
    if (!token) throw new AppError('CAPTCHA_REQUIRED')
    let answer: { success?: unknown }
    try {
      answer = await withTimeout(TIMEOUT_MS, async (signal) => {
        const res = await fetch(this.config.verifyUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ secret: this.config.secret, response: token, remoteip: ip }),
          signal,
        })
        if (!res.ok) throw new Error(`${this.config.provider} answered HTTP ${res.status}`)
        return (await res.json()) as { success?: unknown }
      })
    } catch (err) {
      throw new AppError('CAPTCHA_UNAVAILABLE', {}, {}, 5, err)
    }
    if (answer.success !== true) throw new AppError('CAPTCHA_INVALID')
  }
}
