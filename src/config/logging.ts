import Type, { type Static, type TObject } from 'typebox'
import { oneOf } from './schema.js'

export const LOGGING_SETTINGS = {
  LOG_LEVEL: oneOf(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    'info',
    'fatal, error, warn, info, debug, trace or silent',
  ),
  LOG_FILE: Type.String({
    default: 'logs/app.log',
    description: 'path of the log file ("-" for stdout only)',
  }),
}

export const loggingConfig = (env: Static<TObject<typeof LOGGING_SETTINGS>>) => ({
  log: { level: env.LOG_LEVEL, file: env.LOG_FILE === '-' ? null : env.LOG_FILE },
})
