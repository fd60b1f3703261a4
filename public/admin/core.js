// What every part of the console shares: the texts, the DOM helpers, the formats and the admin API client.

export const I18N = window.ADMIN_I18N
export const TOKEN_KEY = 'royal-taxi-admin-token'
export const LANG_KEY = 'royal-taxi-admin-lang'
const LOCALES = { uz: 'uz-Latn-UZ', ru: 'ru-RU', en: 'en-GB' }

const storedLang = localStorage.getItem(LANG_KEY)
/** The session: language, token (sessionStorage only: gone when the tab closes) and what /info answered. */
export const state = {
  lang: storedLang && I18N[storedLang] ? storedLang : 'uz',
  token: sessionStorage.getItem(TOKEN_KEY),
  info: null,
}

export const $ = (sel) => document.querySelector(sel)
export const $$ = (sel) => [...document.querySelectorAll(sel)]

export function t(key, params = {}) {
  const text = I18N[state.lang]?.[key] ?? I18N.en[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''))
}

/** Builds an element; children are nodes or text (never parsed as HTML: the data may come from gateways). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') node.className = v
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else node.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    node.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return node
}

export const locale = () => LOCALES[state.lang]
const timeZone = () => state.info?.time_zone ?? 'UTC'
export const fmtInt = (n) => new Intl.NumberFormat(locale()).format(n)
export const fmtPct = (r) =>
  r === null || r === undefined
    ? '—'
    : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(r)
export const fmtMoney = (n, currency) =>
  new Intl.NumberFormat(locale(), { style: 'currency', currency, maximumFractionDigits: 2 }).format(n)
export const fmtTime = (iso) =>
  new Intl.DateTimeFormat(locale(), {
    timeZone: timeZone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(iso))
export const fmtDay = (day) => `${day.slice(8, 10)}.${day.slice(5, 7)}`
export const fmtWait = (s) => (s >= 120 ? t('minutes', { n: Math.ceil(s / 60) }) : t('seconds', { n: s }))
/** Today as YYYY-MM-DD in the reports' time zone. */
export const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: timeZone() }).format(new Date())
export const addDays = (day, n) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10)

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message)
    this.status = status
    this.code = code
  }
}

export async function api(path, { token = state.token, method = 'GET', json } = {}) {
  let res
  try {
    res = await fetch(`/api/v1/admin${path}`, {
      method,
      cache: 'no-store',
      headers: {
        authorization: `Bearer ${token}`,
        'accept-language': state.lang,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    })
  } catch {
    throw new ApiError(t('networkError'), 0, 'NETWORK')
  }
  const body = res.status === 204 ? null : await res.json().catch(() => null)
  if (!res.ok) throw new ApiError(body?.detail ?? res.statusText, res.status, body?.code)
  return body
}

// The shell ends the session on a 401; the tabs only know that they were refused.
let unauthorized = () => {}
export function onUnauthorized(handler) {
  unauthorized = handler
}

/** Runs a loader for the current view; a 401 ends the session, other errors show in the banner. */
export async function guarded(load) {
  const banner = $('#app-error')
  try {
    await load()
    banner.hidden = true
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized(t('signedOut'))
    banner.textContent = err.message
    banner.hidden = false
  }
}
