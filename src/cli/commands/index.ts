import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { registerBackup } from './backup.js'
import { registerBlocks } from './blocks.js'
import { registerCost } from './cost.js'
import { registerDoctor } from './doctor.js'
import { registerDrivers } from './drivers.js'
import { registerKeys } from './keys.js'
import { registerLogs } from './logs.js'
import { registerMigrate } from './migrate.js'
import { registerSms } from './sms.js'
import { registerUsers } from './users.js'

/** Adds a command group to the program. A new feature adds its file here and one line below. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void

export const COMMANDS: RegisterCommand[] = [
  registerDoctor,
  registerSms,
  registerCost,
  registerMigrate,
  registerLogs,
  registerBlocks,
  registerBackup,
  registerDrivers,
  registerKeys,
  registerUsers,
]
