// The sign-in page: phone → code (or a passkey) → signed in. Each step calls the public API the way a web
// or mobile client would; docs/LOGIN.md maps the steps to the apps. The page holds no data of its own.
import * as api from './api.js'
import { LANGUAGES } from './i18n.js'
import * as passkeys from './passkeys.js'
import { $, applyTexts, busy, clearError, clock, countdown, note, showError, showStep, t } from './ui.js'

const LANG_KEY = 'royal-taxi-login-lang'

const flow = {
  /** The number the code went to, as the server wrote it (E.164): verify-otp gets exactly that. */
  phone: null,
  /** Cancels the pending WebOTP request. */
  webOtp: null,
  /** Stops the code's validity countdown. */
  stopExpiry: () => {},
  /** Whether the browser and the server both do passkeys. */
  passkeys: false,
}

/** The app chosen on the first step: the session's role (`driver` only for numbers on the roster). */
const chosenApp = () => document.querySelector('input[name=app]:checked').value

// ---- language: uz by default, the choice remembered in this browser -----------------------------------------
function setLanguage(lang) {
  api.session.language = lang
  localStorage.setItem(LANG_KEY, lang)
  applyTexts(lang)
}
$('#lang').addEventListener('change', (e) => setLanguage(e.target.value))

// ---- step 1: the phone number ------------------------------------------------------------------------------
$('#phone-form').addEventListener('submit', (e) => {
  e.preventDefault()
  note('phone-note', null)
  busy($('#send'), 'phone', async () => {
    const sent = await api.sendOtp($('#phone').value)
    flow.phone = sent.phone
    showCodeStep(sent)
  })
})

// ---- step 2: the code ----------------------------------------------------------------------------------------
function showCodeStep(sent) {
  passkeys.stop()
  // "Sent by SMS to …" or "sent in Telegram": the message says where to look, in the page's language.
  $('#sent').textContent = sent.message
  $('#code').value = ''
  clearError('code')
  startExpiry(sent.expires_in)
  showStep('code-step', '#code')
  listenForSms()
}

function startExpiry(seconds) {
  flow.stopExpiry()
  flow.stopExpiry = countdown(seconds, (left) => {
    $('#expires').textContent = left > 0 ? t('expiresIn', { time: clock(left) }) : t('expired')
  })
}

/**
 * WebOTP (Chrome on Android): the browser reads the code from an SMS whose last line is `@<our domain>
 * #<code>` (WEBOTP_DOMAIN, docs/AUTOFILL.md), asks the user once, and hands it over; the page then submits
 * by itself. Typing in the field cancels the request, as the user has chosen the keyboard. Browsers without
 * it still offer the code above the keyboard through autocomplete="one-time-code" (Safari, iOS).
 */
function listenForSms() {
  flow.webOtp?.abort()
  flow.webOtp = null
  if (!('OTPCredential' in window)) return
  const controller = new AbortController()
  flow.webOtp = controller
  navigator.credentials
    .get({ otp: { transport: ['sms'] }, signal: controller.signal })
    .then((otp) => {
      if (!otp?.code || controller.signal.aborted) return
      $('#code').value = otp.code
      $('#code-form').requestSubmit()
    })
    // Aborted, declined, or no SMS came: the field still takes the code by hand.
    .catch(() => {})
}

const stopListening = () => {
  flow.webOtp?.abort()
  flow.webOtp = null
}

$('#code').addEventListener('input', stopListening)

$('#code-form').addEventListener('submit', (e) => {
  e.preventDefault()
  busy($('#verify'), 'code', async () => {
    const answer = await api.verifyOtp(flow.phone, $('#code').value.trim(), chosenApp())
    showAccount(answer.user)
  })
})

$('#resend').addEventListener('click', () =>
  busy($('#resend'), 'code', async () => showCodeStep(await api.sendOtp(flow.phone))),
)

$('#back').addEventListener('click', () => {
  stopListening()
  flow.stopExpiry()
  showStep('phone-step', '#phone')
  offerPasskeyAutofill()
})

// ---- passkeys: sign in without a number --------------------------------------------------------------------
$('#passkey').addEventListener('click', async () => {
  note('phone-note', null)
  // Starting this ceremony cancels the autofill one, which is offered again if this one does not sign in.
  await busy($('#passkey'), 'passkey', async () => {
    try {
      showAccount((await passkeys.signIn(chosenApp())).user)
    } catch (err) {
      if (!passkeys.cancelled(err)) throw err
      note('phone-note', 'passkeyCancelled')
    }
  })
  if ($('#account-step').hidden) offerPasskeyAutofill()
})

/**
 * The saved passkeys in the phone field's autofill menu, while the first step is shown. `options` are the
 * ones the start-up probe fetched (unused yet); later offers fetch a new challenge.
 */
async function offerPasskeyAutofill(options = null) {
  if (!flow.passkeys) return
  try {
    const answer = await passkeys.autofill(chosenApp, options)
    if (answer) showAccount(answer.user)
  } catch (err) {
    showError('passkey', err)
    // A challenge lives 5 minutes, and the menu may have waited longer: offer it again with a new one. Not
    // after other errors, which would only repeat; the button still works.
    if (err instanceof api.ApiError && err.code === 'PASSKEY_CHALLENGE_INVALID') offerPasskeyAutofill()
  }
}

// ---- step 3: signed in ------------------------------------------------------------------------------------------
function showAccount(user) {
  stopListening()
  flow.stopExpiry()
  passkeys.stop()
  $('#me-phone').textContent = user.phone
  // Kept as keys so a change of language renders them again.
  $('#me-roles').replaceChildren(
    ...user.roles.flatMap((role, i) => (i > 0 ? [', ', roleName(role)] : [roleName(role)])),
  )
  $('#me-role').replaceChildren(roleName(user.role))
  note('account-note', null)
  clearError('account')
  clearError('passkey')
  $('#add-passkey').hidden = !flow.passkeys
  showStep('account-step', '#account-title')
}

function roleName(role) {
  const span = document.createElement('span')
  span.dataset.i18n = role
  span.dataset.role = role
  span.textContent = t(role)
  return span
}

$('#add-passkey').addEventListener('click', () => {
  note('account-note', null)
  busy($('#add-passkey'), 'account', async () => {
    try {
      await passkeys.register()
      note('account-note', 'passkeyAdded')
    } catch (err) {
      if (!passkeys.cancelled(err)) throw err
      note('account-note', 'passkeyCancelled')
    }
  })
})

$('#logout').addEventListener('click', () =>
  busy($('#logout'), 'account', async () => {
    await api.logout()
    note('phone-note', 'signedOut')
    showStep('phone-step', '#phone')
    offerPasskeyAutofill()
  }),
)

// ---- start ---------------------------------------------------------------------------------------------------
async function start() {
  const stored = localStorage.getItem(LANG_KEY)
  setLanguage(LANGUAGES.includes(stored) ? stored : 'uz')
  const probe = passkeys.probe()
  // A tab reloaded while signed in: the refresh token in sessionStorage brings the session back.
  let user = null
  if (api.session.refresh) user = await api.me().catch(() => null)
  if (user) showAccount(user)
  else showStep('phone-step', '#phone')
  const { available, options } = await probe
  flow.passkeys = available
  $('#passkey-signin').hidden = !available
  $('#add-passkey').hidden = !available
  if (!user) offerPasskeyAutofill(options)
}

start()
