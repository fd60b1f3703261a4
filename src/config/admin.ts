import Type, { type Static, type TObject } from 'typebox'
import { got } from '../settings.js'

/** The admin console and the Prometheus endpoint. */
export const ADMIN_SETTINGS = {
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      pattern: '^\\S+$',
      description: 'a random string of 16 characters or more, without spaces',
    }),
  ),
  ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'a random string of 32 characters or more (unset: the admin console is disabled)',
    }),
  ),
  ADMIN_TIMEZONE: Type.String({
    default: 'Asia/Tashkent',
    minLength: 1,
    description: "an IANA time zone such as Asia/Tashkent: the days of the admin console's reports",
  }),
}

type AdminEnv = Static<TObject<typeof ADMIN_SETTINGS>>

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

export const adminProblems = (env: AdminEnv): string[] =>
  isTimeZone(env.ADMIN_TIMEZONE) ? [] : [`ADMIN_TIMEZONE: unknown time zone${got(env.ADMIN_TIMEZONE)}`]

export function adminConfig(env: AdminEnv) {
  return {
    /** `GET /metrics` requires `Authorization: Bearer <token>` when set. */
    metrics: { token: env.METRICS_TOKEN ?? null },
    /** The admin console and its API; null when ADMIN_TOKEN is unset (both answer 404 ADMIN_DISABLED). */
    admin: env.ADMIN_TOKEN ? { token: env.ADMIN_TOKEN, timeZone: env.ADMIN_TIMEZONE } : null,
  }
}
