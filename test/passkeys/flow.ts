import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { post, signIn, type TestApp } from '../helpers.js'
import { SoftAuthenticator } from './authenticator.js'

// The steps the passkey tests share: a code sign-in, a passkey registered, options to sign in with it.

export const ORIGIN = 'http://localhost:8080'
export const PHONE = '+998901234567'
export const auth = (token: string) => ({ authorization: `Bearer ${token}` })

/** Signs in with a code and registers a passkey; returns the tokens, the authenticator and the passkey. */
export async function registered(
  ta: TestApp,
  phone = PHONE,
  authenticator = new SoftAuthenticator({ origin: ORIGIN }),
) {
  const session = await signIn(ta, phone)
  const options = await post(
    ta.app,
    '/api/v1/passkeys/register/options',
    undefined,
    auth(session.access_token),
  )
  assert.equal(options.statusCode, 200, options.body)
  const res = await post(
    ta.app,
    '/api/v1/passkeys/register/verify',
    { credential: authenticator.create(options.json()) },
    { ...auth(session.access_token), 'user-agent': UA },
  )
  assert.equal(res.statusCode, 201, res.body)
  return { session, authenticator, passkey: res.json() }
}

export const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

export async function signInOptions(app: FastifyInstance) {
  const res = await post(app, '/api/v1/auth/passkey/options', undefined)
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}
