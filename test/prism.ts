// Prism (@stoplight/prism-cli) mocks of the gateways' published contracts, shared by the gateway tests.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The shared contract files sit beside the repository (../shared), as in CI. */
export const SHARED = join(ROOT, '..', 'shared')
const PRISM = join(ROOT, 'node_modules', '.bin', 'prism')

/** Why a contract test cannot run here, or false. */
export function prismSkipReasonFor(spec: string, name: string): string | false {
  if (!existsSync(spec)) return `the ${name} contract ${spec} is absent`
  if (!existsSync(PRISM)) return 'Prism (@stoplight/prism-cli) is not installed'
  return false
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Starts `prism mock --errors` on `spec` and resolves with its URL once it answers HTTP; stops it after `t`.
 * Prism answers a request that breaks the contract with 4xx (401 without the credentials the spec asks for);
 * `--errors` makes violations in its own answers errors too, so nothing invalid passes silently.
 */
export async function startPrismOn(t: TestContext, spec: string): Promise<string> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    PRISM,
    ['mock', '--errors', '-h', '127.0.0.1', '-p', String(port), spec],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })
  const url = `http://127.0.0.1:${port}`
  // Loading a large spec takes a few seconds on an idle machine and half a minute on a loaded CI box.
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Prism exited with ${child.exitCode}:\n${output}`)
    try {
      await fetch(`${url}/`)
      return url
    } catch {
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  throw new Error(`Prism did not listen on ${url} within 120 s:\n${output}`)
}
