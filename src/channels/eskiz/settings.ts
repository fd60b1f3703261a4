import Type, { type Static, type TObject } from 'typebox'
import { baseUrl, bool, optionalString, withoutTrailingSlashes } from '../../settings.js'
import type { ReceiptLinks } from '../connector.js'

export const ESKIZ_SETTINGS = {
  ESKIZ_ENABLED: bool(false, 'true or false'),
  ESKIZ_EMAIL: optionalString('the e-mail you log in to Eskiz with'),
  ESKIZ_PASSWORD: optionalString('the Eskiz password (or API secret)'),
  ESKIZ_FROM: Type.String({ default: '4546', minLength: 1, description: 'the sender name or number' }),
  ESKIZ_API_BASE_URL: baseUrl('https://notify.eskiz.uz'),
}

type EskizEnv = Static<TObject<typeof ESKIZ_SETTINGS>>

export function eskizProblems(env: EskizEnv): string[] {
  const problems: string[] = []
  if (!env.ESKIZ_EMAIL) problems.push('ESKIZ_EMAIL: required when ESKIZ_ENABLED=true')
  if (!env.ESKIZ_PASSWORD) problems.push('ESKIZ_PASSWORD: required when ESKIZ_ENABLED=true')
  return problems
}

export function eskizSettings(env: EskizEnv, links: ReceiptLinks) {
  if (!env.ESKIZ_ENABLED) return null
  return {
    email: env.ESKIZ_EMAIL as string,
    password: env.ESKIZ_PASSWORD as string,
    from: env.ESKIZ_FROM,
    baseUrl: withoutTrailingSlashes(env.ESKIZ_API_BASE_URL),
    callbackUrl:
      links.publicBaseUrl && links.webhookToken
        ? `${links.publicBaseUrl}/api/v1/webhooks/eskiz/status?token=${links.webhookToken}`
        : null,
  }
}

export type EskizSettings = NonNullable<ReturnType<typeof eskizSettings>>
