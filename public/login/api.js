// The sign-in API as a client calls it: one function per endpoint, the tokens, and errors as values the page
// can show. A mobile app needs the same pieces (docs/LOGIN.md maps them).

const REFRESH_KEY = 'royal-taxi-refresh-token'

/**
 * The session. The access token lives in memory only (15 minutes; a new one comes from the refresh token).
 * The refresh token is single-use and valid 30 days; this page keeps it in sessionStorage, so a reload keeps
 * the session and closing the tab forgets it. An app keeps it in the Keychain / Android Keystore instead.
 */
export const session = {
  /** The language every request asks for: error texts (`detail`) come back in it. */
  language: 'uz',
  access: null,
  get refresh() {
    return sessionStorage.getItem(REFRESH_KEY)
  },
}

/** A refused request: `detail` is already in the asked language, `code` is what a program switches on. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.code ?? null
    /** Seconds until a rate limit (429) lets the request through again. */
    this.retryAfter = body?.retry_after ?? null
  }
}

/** Thrown when the server cannot be reached at all (offline, DNS, TLS): the page says so in its own words. */
export class NetworkError extends Error {}

async function call(path, { method = 'POST', json, token } = {}) {
  const headers = { 'accept-language': session.language }
  if (json !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  let res
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      cache: 'no-store',
      body: json === undefined ? undefined : JSON.stringify(json),
    })
  } catch {
    throw new NetworkError()
  }
  const body = res.status === 204 ? null : await res.json().catch(() => null)
  if (!res.ok) {
    const err = new ApiError(res.status, body)
    // The body's retry_after is there for rate limits; Retry-After covers the rest (503).
    err.retryAfter ??= Number(res.headers.get('retry-after')) || null
    throw err
  }
  return body
}

/** Keeps both tokens of a sign-in or refresh answer. */
function keep(tokens) {
  session.access = tokens.access_token
  sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token)
}

function forget() {
  session.access = null
  sessionStorage.removeItem(REFRESH_KEY)
}

// ---- one-time codes -----------------------------------------------------------------------------------------

/**
 * Asks for a code. `client: 'web'` makes the SMS end with `@domain #code` when WEBOTP_DOMAIN is set, the
 * line WebOTP and Safari read the code from. Answers `{message, expires_in, channel, otp_code?}`.
 */
export function sendOtp(phone) {
  return call('/auth/send-otp', { json: { phone, language: session.language, client: 'web' } })
}

/**
 * Checks the code; the answer has both tokens and the user. No `device_name`: the server names a browser's
 * session after its User-Agent ("Chrome on Android"); an app sends the device's own name ("Pixel 8").
 */
export async function verifyOtp(phone, code, app) {
  const answer = await call('/auth/verify-otp', { json: { phone, code, app } })
  keep(answer)
  return answer
}

// ---- the session ----------------------------------------------------------------------------------------------

// Refresh tokens are single-use: two refreshes with the same token look like a stolen token, and the server
// ends the whole session. So at most one refresh runs, and everyone who needs one waits for it.
let refreshing = null

export function refresh() {
  refreshing ??= call('/auth/refresh', { json: { refresh_token: session.refresh } })
    .then(keep, (err) => {
      if (err instanceof ApiError && err.status === 401) forget()
      throw err
    })
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

/** A call with the access token; an expired one (401) is refreshed once and the call repeated. */
async function authorized(path, options = {}) {
  if (!session.access && session.refresh) await refresh()
  try {
    return await call(path, { ...options, token: session.access })
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !session.refresh) throw err
    await refresh()
    return await call(path, { ...options, token: session.access })
  }
}

/** The signed-in user: `{phone, roles, role, …}`. */
export const me = () => authorized('/users/me', { method: 'GET' })

/**
 * Ends this session on the server (its refresh token stops working), then forgets the tokens here. If the
 * server cannot be reached the tokens are kept, so the user can try again rather than leave a live session.
 */
export async function logout() {
  if (session.refresh) await call('/auth/logout', { json: { refresh_token: session.refresh } })
  forget()
}

// ---- passkeys -------------------------------------------------------------------------------------------------

/**
 * Options for `startAuthentication` (PublicKeyCredentialRequestOptionsJSON): a fresh challenge, single-use
 * and valid 5 minutes, and no user named, so the authenticator offers its own (discoverable) passkeys. A
 * server with passkeys off answers 404 PASSKEYS_DISABLED.
 */
export const passkeyOptions = () => call('/auth/passkey/options', { json: {} })

/** Signs in with what the authenticator answered (AuthenticationResponseJSON): the same answer as verifyOtp. */
export async function passkeyVerify(credential, app) {
  const answer = await call('/auth/passkey/verify', { json: { credential, app } })
  keep(answer)
  return answer
}

/** Options for `startRegistration`, for the signed-in user; its existing passkeys are excluded. */
export const registerOptions = () => authorized('/passkeys/register/options', { json: {} })

/**
 * Keeps the new passkey (RegistrationResponseJSON). Without a `name` the server names it after the device
 * ("Chrome on Android"); answers `{id, name, created_at, last_used_at, synced}`.
 */
export const registerVerify = (credential) =>
  authorized('/passkeys/register/verify', { json: { credential } })
