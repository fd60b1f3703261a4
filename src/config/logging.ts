import Type, { type Static, type TObject } from 'typebox'
import { oneOf } from '../settings.js'

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
  // No default here: it follows APP_ENV (people read development logs, collectors read production ones).
  LOG_FORMAT: Type.Optional(
    Type.Enum(['text', 'json'], {
      description: 'text (LEVEL: message; default in development) or json (default otherwise)',
    }),
  ),
}

export type LogFormat = 'text' | 'json'

export const loggingConfig = (env: Static<TObject<typeof LOGGING_SETTINGS>> & { APP_ENV: string }) => ({
  log: {
    level: env.LOG_LEVEL,
    file: env.LOG_FILE === '-' ? null : env.LOG_FILE,
    format: (env.LOG_FORMAT ?? (env.APP_ENV === 'development' ? 'text' : 'json')) as LogFormat,
  },
})
