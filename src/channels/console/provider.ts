import { timeOrderedId } from '../../crypto.js'
import type { SendResult, SmsMessage, SmsProvider } from '../provider.js'

/**
 * Development mode: nothing leaves the machine. The OTP service logs the code itself (the
 * `📱 OTP for …` line); this provider only records that a message would have gone out.
 */
export class ConsoleProvider implements SmsProvider {
  readonly name = 'console'
  readonly inProcess = true

  async send(_message: SmsMessage): Promise<SendResult> {
    return { providerMessageId: `console-${timeOrderedId()}`, status: 'sent' }
  }
}
