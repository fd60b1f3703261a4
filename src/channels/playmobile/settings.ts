import Type, { type Static, type TObject } from 'typebox'
import { baseUrl, bool, optionalString, withoutTrailingSlashes } from '../../settings.js'

export const PLAYMOBILE_SETTINGS = {
  PLAYMOBILE_ENABLED: bool(false, 'true or false'),
  PLAYMOBILE_LOGIN: optionalString('the Playmobile broker login'),
  PLAYMOBILE_PASSWORD: optionalString('the Playmobile broker password'),
  PLAYMOBILE_ORIGINATOR: Type.String({
    default: '3700',
    minLength: 1,
    description: 'the sender name or number',
  }),
  PLAYMOBILE_API_BASE_URL: baseUrl('https://send.smsxabar.uz'),
}

type PlaymobileEnv = Static<TObject<typeof PLAYMOBILE_SETTINGS>>

export function playmobileProblems(env: PlaymobileEnv): string[] {
  const problems: string[] = []
  if (!env.PLAYMOBILE_LOGIN) problems.push('PLAYMOBILE_LOGIN: required when PLAYMOBILE_ENABLED=true')
  if (!env.PLAYMOBILE_PASSWORD) problems.push('PLAYMOBILE_PASSWORD: required when PLAYMOBILE_ENABLED=true')
  return problems
}

export function playmobileSettings(env: PlaymobileEnv) {
  if (!env.PLAYMOBILE_ENABLED) return null
  return {
    login: env.PLAYMOBILE_LOGIN as string,
    password: env.PLAYMOBILE_PASSWORD as string,
    originator: env.PLAYMOBILE_ORIGINATOR,
    baseUrl: withoutTrailingSlashes(env.PLAYMOBILE_API_BASE_URL),
  }
}

export type PlaymobileSettings = NonNullable<ReturnType<typeof playmobileSettings>>
