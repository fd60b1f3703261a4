import { existsSync, readFileSync } from 'node:fs'
import { parse as parseDotenv } from 'dotenv'
import type { Check } from '../../channels/connector.js'
import { EnvSchema, environmentOverrides } from '../../config.js'
import { describeError } from '../context.js'

const SECTION = 'Settings'
const KNOWN = Object.keys(EnvSchema.properties)

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length] as number
}

function closest(name: string): string | null {
  let best: string | null = null
  let bestDistance = 3
  for (const known of KNOWN) {
    const d = distance(name.toUpperCase(), known)
    if (d < bestDistance) [best, bestDistance] = [known, d]
  }
  return best
}

/**
 * Lines that are not `NAME=value` (dotenv skips them silently, so a setting the operator wrote is simply
 * absent). Values are never echoed: they may be secrets.
 */
function malformedLines(text: string): { line: number; start: string }[] {
  const bad: { line: number; start: string }[] = []
  let openQuote: string | null = null
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    if (openQuote) {
      if (raw.includes(openQuote)) openQuote = null
      continue
    }
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = line.match(/^(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*(["'`]?)(.*)$/)
    if (!match) {
      bad.push({ line: index + 1, start: line.match(/^[\w.-]{1,40}/)?.[0] ?? '' })
      continue
    }
    const [, quote, rest = ''] = match
    // A quoted value may run over several lines (dotenv allows it); skip to its closing quote.
    if (quote && !rest.includes(quote)) openQuote = quote
  }
  return bad
}

/** The settings file: present, readable, every line a setting, every name one we know. */
export function envFileChecks(path: string, processEnv?: NodeJS.ProcessEnv): Check[] {
  if (!existsSync(path))
    return [
      {
        section: SECTION,
        status: 'warn',
        message: `no settings file at ${path}: only the process environment and the defaults apply`,
        fix: 'cp .env.example .env, then edit it',
      },
    ]
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    return [
      {
        section: SECTION,
        status: 'fail',
        message: `cannot read ${path}: ${describeError(err)}`,
        fix: 'check the file permissions',
      },
    ]
  }
  const checks: Check[] = []
  for (const { line, start } of malformedLines(text))
    checks.push({
      section: SECTION,
      status: 'fail',
      message: `line ${line} of ${path} is not NAME=value${start ? ` (it starts with "${start}")` : ''}: it is ignored`,
      fix: 'write it as NAME=value, or comment it out with #',
    })
  const parsed = parseDotenv(text)
  for (const name of Object.keys(parsed).filter((k) => !KNOWN.includes(k))) {
    const guess = closest(name)
    checks.push({
      section: SECTION,
      status: 'warn',
      message: `${name} in ${path} is not a setting of this service${guess ? ` (did you mean ${guess}?)` : ''}`,
      fix: guess ? `rename it to ${guess}` : 'remove it, or see .env.example for the settings',
    })
  }
  const overridden = environmentOverrides(parsed, processEnv)
  if (overridden.length > 0)
    checks.push({
      section: SECTION,
      status: 'warn',
      message: `set in the process environment too, which wins over ${path}: ${overridden.join(', ')}`,
      fix: 'unset them in the environment (or change them there)',
    })
  if (!checks.some((c) => c.status === 'fail'))
    checks.unshift({
      section: SECTION,
      status: 'ok',
      message: `${path} parses: ${Object.keys(parsed).length} setting(s)`,
    })
  return checks
}
