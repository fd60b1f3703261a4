// What the page shows: its texts in the chosen language, the steps, errors beside their fields, countdowns.
import { ApiError, NetworkError } from './api.js'
import { TEXTS } from './i18n.js'

export const $ = (selector) => document.querySelector(selector)

const ui = { lang: 'uz' }

export function t(key, params = {}) {
  const text = TEXTS[ui.lang]?.[key] ?? TEXTS.en[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''))
}

/** Writes every `data-i18n` text in `lang` and sets `<html lang>`, which screen readers pronounce by. */
export function applyTexts(lang) {
  ui.lang = lang
  document.documentElement.lang = lang
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n)
  $('#lang').value = lang
  for (const tick of renderers) tick()
}

/** 75 → "1:15" */
export const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`

// ---- countdowns -----------------------------------------------------------------------------------------------

// Each running countdown's render function, so a change of language redraws it at once.
const renderers = new Set()

/**
 * Calls `render(secondsLeft)` now and every second until zero, then `done()`. Answers a function that stops
 * it early. The end is computed from the clock, not by counting ticks, which a background tab slows down.
 */
export function countdown(seconds, render, done = () => {}) {
  const end = Date.now() + seconds * 1000
  const left = () => Math.max(0, Math.ceil((end - Date.now()) / 1000))
  const tick = () => render(left())
  const timer = setInterval(() => {
    tick()
    if (left() === 0) {
      stop()
      done()
    }
  }, 1000)
  const stop = () => {
    clearInterval(timer)
    renderers.delete(tick)
  }
  renderers.add(tick)
  tick()
  return stop
}

// ---- errors -------------------------------------------------------------------------------------------------

// The countdown running in each error line, stopped when the line shows something else.
const waits = new Map()

/**
 * Shows an error in `#<name>-error` (under its field) and marks the field invalid, so a screen reader reads
 * the text with it (the field's aria-describedby names the line). The text is the API's `detail`, already in
 * the page's language. A rate limit (429 with retry_after) adds a countdown and keeps `button` disabled
 * until it ends; retrying earlier would only be refused again.
 */
export function showError(name, err, button) {
  clearError(name)
  const line = $(`#${name}-error`)
  const field = $(`#${name}`)
  const detail = err instanceof NetworkError ? t('networkError') : err.message
  line.textContent = detail
  line.hidden = false
  if (field?.tagName === 'INPUT') field.setAttribute('aria-invalid', 'true')
  if (!(err instanceof ApiError) || err.status !== 429 || !err.retryAfter) return
  const wait = document.createElement('span')
  wait.className = 'wait'
  line.append(' ', wait)
  if (button) button.disabled = true
  const stop = countdown(
    err.retryAfter,
    (left) => {
      wait.textContent = t('retryIn', { time: clock(left) })
    },
    () => {
      waits.delete(name)
      if (button) button.disabled = false
      wait.remove()
    },
  )
  waits.set(name, { stop, button })
}

export function clearError(name) {
  const wait = waits.get(name)
  if (wait) {
    wait.stop()
    if (wait.button) wait.button.disabled = false
    waits.delete(name)
  }
  const line = $(`#${name}-error`)
  line.hidden = true
  line.textContent = ''
  $(`#${name}`)?.removeAttribute('aria-invalid')
}

/** A status line (not an error): the text of `key`, or hidden with `null`. Redrawn on a change of language. */
export function note(id, key) {
  const line = $(`#${id}`)
  if (key === null) delete line.dataset.i18n
  else line.dataset.i18n = key
  line.textContent = key === null ? '' : t(key)
  line.hidden = key === null
}

/**
 * Runs one request for a button: the button is disabled meanwhile (no double submit, which would spend a
 * second code or a second single-use token) and an error lands in `#<name>-error`.
 */
export async function busy(button, name, work) {
  clearError(name)
  button.disabled = true
  button.setAttribute('aria-busy', 'true')
  try {
    await work()
    button.disabled = false
  } catch (err) {
    button.disabled = false
    showError(name, err, button)
  } finally {
    button.removeAttribute('aria-busy')
  }
}

/** Shows one step and moves the focus to where the user continues (keyboard and screen-reader users). */
export function showStep(id, focus) {
  for (const step of document.querySelectorAll('main > section')) step.hidden = step.id !== id
  $(focus)?.focus()
}
