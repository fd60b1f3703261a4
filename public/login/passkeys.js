// Passkeys (WebAuthn) through @simplewebauthn/browser, served by this app from its node_modules. The library
// turns the server's JSON options into the browser's binary ones and the authenticator's answer back into
// JSON; the server (@simplewebauthn/server) checks it.

import { ApiError, passkeyOptions, passkeyVerify, registerOptions, registerVerify } from './api.js'
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
} from './vendor/webauthn/index.js'

/**
 * Whether this page can offer passkeys: the browser has WebAuthn (`PublicKeyCredential`) and the server has
 * the passkey endpoints (a server without them answers 404). Answers the options it fetched to find out, or
 * null: a challenge is single-use, so they serve for one ceremony (the autofill one below).
 */
export async function probe() {
  if (!browserSupportsWebAuthn()) return { available: false, options: null }
  try {
    return { available: true, options: await passkeyOptions() }
  } catch (err) {
    // Anything but 404 (a rate limit, the network) is passing: the button stays and tells when pressed.
    return { available: !(err instanceof ApiError && err.status === 404), options: null }
  }
}

/**
 * Conditional UI: the browser lists saved passkeys in the phone field's autofill menu (its autocomplete ends
 * in "webauthn"), and this promise settles only when the user picks one. Resolves to the sign-in answer, or
 * to null when it was cancelled (the button below starts its own ceremony, which cancels this one). `app`
 * is a function: the user may change the app choice while the menu waits.
 */
export async function autofill(app, options = null) {
  if (!(await browserSupportsWebAuthnAutofill())) return null
  const optionsJSON = options ?? (await passkeyOptions())
  let credential
  try {
    credential = await startAuthentication({ optionsJSON, useBrowserAutofill: true })
  } catch (err) {
    if (cancelled(err)) return null
    throw err
  }
  return await passkeyVerify(credential, app())
}

/** The "use a passkey" button: a fresh challenge, the browser's passkey dialog, then the sign-in. */
export async function signIn(app) {
  const credential = await startAuthentication({ optionsJSON: await passkeyOptions() })
  return await passkeyVerify(credential, app)
}

/** Registers a passkey for the signed-in user on this device (or a phone nearby, or a password manager). */
export async function register() {
  const credential = await startRegistration({ optionsJSON: await registerOptions() })
  return await registerVerify(credential)
}

/** Ends a pending ceremony (the autofill one) when the page moves on. */
export const stop = () => WebAuthnAbortService.cancelCeremony()

/**
 * The user closed the dialog or another ceremony replaced this one: nothing to report as an error. Browsers
 * say NotAllowedError both for "cancelled" and for "timed out", on purpose (it reveals nothing about which
 * credentials exist).
 */
export function cancelled(err) {
  return (
    err?.name === 'NotAllowedError' || err?.name === 'AbortError' || err?.code === 'ERROR_CEREMONY_ABORTED'
  )
}
