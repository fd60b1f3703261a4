import type { Migration, MigrationProvider } from 'kysely'
import { initial } from './001_initial.js'
import { smsDelivery } from './002_sms_delivery.js'
import { blockedPrefixes } from './003_blocked_prefixes.js'
import { otpEvents } from './004_otp_events.js'
import { refreshTokensSplit } from './005_refresh_tokens_split.js'
import { numberLimits } from './006_number_limits.js'
import { limitKeys } from './007_limit_keys.js'
import { drivers } from './008_drivers.js'
import { deliveryChannels } from './009_delivery_channels.js'
import { signingKeys } from './010_signing_keys.js'
import { sessionDevices } from './011_session_devices.js'
import { passkeys } from './012_passkeys.js'
import type { MigrationContext } from './context.js'

// One list of migrations for both engines; a migration that must differ asks `dialect`. Imported statically
// (not read from a folder) so the compiled build and the tests run the very same list.
const MIGRATIONS = {
  '001_initial': initial,
  '002_sms_delivery': smsDelivery,
  '003_blocked_prefixes': blockedPrefixes,
  '004_otp_events': otpEvents,
  '005_refresh_tokens_split': refreshTokensSplit,
  '006_number_limits': numberLimits,
  '007_limit_keys': limitKeys,
  '008_drivers': drivers,
  '009_delivery_channels': deliveryChannels,
  '010_signing_keys': signingKeys,
  '011_session_devices': sessionDevices,
  '012_passkeys': passkeys,
} satisfies Record<string, (ctx: MigrationContext) => Migration>

export function migrationProvider(ctx: MigrationContext): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(Object.entries(MIGRATIONS).map(([name, make]) => [name, make(ctx)]))
    },
  }
}
