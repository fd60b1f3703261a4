import Type, { type Static, type TObject } from 'typebox'

export const HTTP_SMS_SETTINGS = {
  HTTP_SMS_URL: Type.Optional(Type.String({ pattern: '^https?://[^/]+', description: 'an http(s) URL' })),
  HTTP_SMS_SECRET: Type.Optional(
    Type.String({ minLength: 16, description: 'a shared secret of 16 characters or more' }),
  ),
}

type HttpSmsEnv = Static<TObject<typeof HTTP_SMS_SETTINGS>>

export const httpSmsProblems = (env: HttpSmsEnv): string[] =>
  env.HTTP_SMS_SECRET
    ? []
    : ['HTTP_SMS_SECRET: required when HTTP_SMS_URL is set (requests are signed with it)']

export const httpSmsSettings = (env: HttpSmsEnv) =>
  env.HTTP_SMS_URL ? { url: env.HTTP_SMS_URL, secret: env.HTTP_SMS_SECRET as string } : null

export type HttpGatewaySettings = NonNullable<ReturnType<typeof httpSmsSettings>>
