import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

// The code must be sent again when a delivery report does not come, yet the code store keeps only its HMAC.
// So the wait's row keeps the code and its text sealed with AES-256-GCM, under a key derived from SECRET_KEY
// for this purpose only (deriveKey(secret, 'sms-resend')): a copy of the database alone does not reveal a
// live code. The seal is erased as soon as the wait ends (delivered, sent again, expired).

/** What is needed to send the same code again on the route's next step. */
export interface Resendable {
  code: string
  /** The SMS text as rendered for the first attempt (language, autofill lines). */
  text: string
}

const IV_BYTES = 12
const TAG_BYTES = 16

/** base64url of iv ‖ ciphertext ‖ tag; the wait's id is bound in as associated data, so seals cannot be swapped. */
export function seal(key: Buffer, id: string, value: Resendable): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(id))
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** The sealed value, or null when it does not open (another SECRET_KEY, or tampered with). */
export function unseal(key: Buffer, id: string, sealed: string): Resendable | null {
  try {
    const raw = Buffer.from(sealed, 'base64url')
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(id))
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    const text = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8')
    const value = JSON.parse(text) as Resendable
    return typeof value.code === 'string' && typeof value.text === 'string' ? value : null
  } catch {
    return null
  }
}
