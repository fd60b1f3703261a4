// The admin console's shell: a page with no data of its own. Everything shown comes from the JSON admin API
// with the token the operator typed, which is kept in sessionStorage only (gone when the tab closes). This
// file signs in and out, switches language and tab; each tab is a module under tabs/.
import { $, $$, api, guarded, LANG_KEY, onUnauthorized, state, TOKEN_KEY, t } from './core.js'
import * as abuse from './tabs/abuse.js'
import * as billing from './tabs/billing.js'
import * as drivers from './tabs/drivers.js'
import * as logs from './tabs/logs.js'
import * as usage from './tabs/usage.js'
import { destroyCharts } from './widgets.js'

const TABS = { logs, usage, billing, abuse, drivers }
/** Tabs loaded since sign-in or the last change of language: shown again without a new request. */
let loaded = {}
let current = 'logs'

// ---- language ---------------------------------------------------------------------------------------------
function applyTexts() {
  document.documentElement.lang = state.lang
  for (const node of $$('[data-i18n]')) node.textContent = t(node.dataset.i18n)
  $('#lang').value = state.lang
  for (const opt of $$('#f-status option[value]:not([value=""])')) opt.textContent = t(`st_${opt.value}`)
}

function setLanguage(lang) {
  state.lang = lang
  localStorage.setItem(LANG_KEY, lang)
  applyTexts()
  if (state.info) {
    loaded = {}
    showTab(current)
  }
}

// ---- sign-in ----------------------------------------------------------------------------------------------
function showSignIn(message) {
  $('#app-view').hidden = true
  $('#signout').hidden = true
  $('#signin-view').hidden = false
  const error = $('#signin-error')
  error.hidden = !message
  error.textContent = message ?? ''
  $('#token').value = ''
  $('#token').focus()
}

async function signIn(token) {
  const info = await api('/info', { token })
  state.token = token
  state.info = info
  sessionStorage.setItem(TOKEN_KEY, token)
  logs.fillFilterChoices()
  $('#signin-view').hidden = true
  $('#app-view').hidden = false
  $('#signout').hidden = false
  loaded = {}
  showTab(tabFromHash())
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY)
  state.token = null
  state.info = null
  destroyCharts()
  showSignIn(message)
}

// ---- tabs -------------------------------------------------------------------------------------------------
function tabFromHash() {
  const name = location.hash.slice(1)
  return name in TABS ? name : 'logs'
}

function showTab(name) {
  current = name
  for (const tab of $$('.tab')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name))
  for (const n of Object.keys(TABS)) $(`#tab-${n}`).hidden = n !== name
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`)
  if (!loaded[name]) {
    loaded[name] = true
    guarded(TABS[name].load)
  }
}

// ---- start ------------------------------------------------------------------------------------------------
$('#signin-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const token = $('#token').value.trim()
  if (!token) return
  const button = $('#signin-submit')
  button.disabled = true
  button.textContent = t('signingIn')
  try {
    await signIn(token)
  } catch (err) {
    showSignIn(err.message)
  } finally {
    button.disabled = false
    button.textContent = t('signIn')
  }
})
$('#signout').addEventListener('click', () => signOut())
$('#lang').addEventListener('change', (e) => setLanguage(e.target.value))
for (const tab of $$('.tab')) tab.addEventListener('click', () => showTab(tab.dataset.tab))
window.addEventListener('hashchange', () => state.info && showTab(tabFromHash()))
onUnauthorized(signOut)
for (const tab of Object.values(TABS)) tab.bind()

applyTexts()
if (state.token) {
  signIn(state.token).catch((err) => {
    sessionStorage.removeItem(TOKEN_KEY)
    state.token = null
    showSignIn(err.status === 401 ? t('signedOut') : err.message)
  })
} else showSignIn()
