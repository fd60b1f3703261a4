// The requests the benchmark drives the service with: distinct phone numbers, the scenarios, and what the
// verify and refresh scenarios need prepared (codes sent, sessions signed in).
import { prepare, type Scenario } from './load.js'
import type { Child } from './processes.js'

/** What `--scenario` names. */
export const SCENARIOS = ['send', 'wrong', 'right', 'refresh', 'twilio'] as const
export type ScenarioName = (typeof SCENARIOS)[number]

// ---- distinct valid Uzbek mobile numbers ------------------------------------------------------------------
const PREFIXES = [
  '90',
  '91',
  '93',
  '94',
  '97',
  '99',
  '88',
  '95',
  '33',
  '50',
  '77',
  '98',
  '20',
  '70',
  '87',
  '80',
]
let phoneSeq = 0
/**
 * The subscriber digits are the counter written backwards, so consecutive numbers differ in their leading
 * digits: the SMS-pumping guard counts codes per prefix (the number without its last digits), and a run of
 * neighbouring numbers would look like exactly the attack it blocks.
 */
export function nextPhone(): string {
  const n = phoneSeq++
  const prefix = PREFIXES[n % PREFIXES.length] as string
  const subscriber = String(Math.floor(n / PREFIXES.length) % 10_000_000)
    .padStart(7, '0')
    .split('')
    .reverse()
    .join('')
  return `+998${prefix}${subscriber}`
}

// ---- scenarios ----------------------------------------------------------------------------------------------
export const sendOtp = (name = 'send-otp'): Scenario => ({
  name,
  path: '/api/v1/auth/send-otp',
  expectedStatus: 200,
  body: () => `{"phone":"${nextPhone()}"}`,
})

export const ceilingScenario: Scenario = { ...sendOtp('ceiling'), path: '/ceiling' }

export interface Pending {
  phone: string
  code: string
}

/** Sends `amount` codes and keeps what development mode answers: the number and its code. */
export async function prepareCodes(server: Child, amount: number, connections: number): Promise<Pending[]> {
  const codes: Pending[] = []
  await prepare(
    server,
    {
      ...sendOtp('prepare codes'),
      onResponse: (status, body) => {
        if (status !== 200) return
        const phone = body.match(/"phone":"(\+\d+)"/)?.[1]
        const code = body.match(/"otp_code":"(\d+)"/)?.[1]
        if (phone && code) codes.push({ phone, code })
      },
    },
    amount,
    connections,
  )
  return codes
}

function wrongCode(code: string): string {
  return code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10)
}

function verifyOtp(name: string, expectedStatus: number, pick: (i: number) => Pending): Scenario {
  let i = 0
  return {
    name,
    path: '/api/v1/auth/verify-otp',
    expectedStatus,
    body: () => {
      const p = pick(i++)
      return `{"phone":"${p.phone}","code":"${p.code}"}`
    },
  }
}

/**
 * Wrong codes, spread over the prepared numbers: each takes at most 4 of its 5 attempts, so it stays valid
 * for the right-code scenario after it.
 */
export const verifyWrong = (pool: Pending[]) =>
  verifyOtp('verify-otp (wrong code)', 400, (i) => {
    const p = pool[i % pool.length] as Pending
    return { phone: p.phone, code: wrongCode(p.code) }
  })

/** Each prepared code once; past the end of the pool, numbers without a code (answered 400, counted). */
export const verifyRight = (pool: Pending[]) =>
  verifyOtp('verify-otp (right code)', 200, (i) => pool[i] ?? { phone: nextPhone(), code: '000000' })

/**
 * Refresh tokens work once. A queue starts with a few hundred (from real sign-ins); each request takes one,
 * each answer puts its successor back, so the queue never runs dry while answers are 200.
 */
export function refresh(tokens: string[]): Scenario {
  return {
    name: 'refresh',
    path: '/api/v1/auth/refresh',
    expectedStatus: 200,
    body: () => `{"refresh_token":"${tokens.shift() ?? 'exhausted'}"}`,
    onResponse: (status, body) => {
      const token = status === 200 ? body.match(/"refresh_token":"([^"]+)"/)?.[1] : undefined
      if (token) tokens.push(token)
    },
  }
}

export async function signIns(server: Child, count: number): Promise<string[]> {
  const tokens: string[] = []
  const post = async (path: string, body: object) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as Record<string, string>
  }
  for (let i = 0; i < count; i++) {
    const sent = await post('/api/v1/auth/send-otp', { phone: nextPhone() })
    const session = await post('/api/v1/auth/verify-otp', { phone: sent.phone, code: sent.otp_code })
    tokens.push(session.refresh_token as string)
  }
  return tokens
}
