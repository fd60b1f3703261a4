#!/usr/bin/env node
// The `royal-taxi` command (package.json "bin"; `npm run cli -- <command>` in the repo).
import { createInterface } from 'node:readline/promises'
import { run } from './program.js'

/** A question at the terminal; only when someone is there to answer it. */
async function ask(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return await terminal.question(question)
  } finally {
    terminal.close()
  }
}

const controller = new AbortController()
// The first Ctrl-C asks a long-running command (logs tail) to stop cleanly; a second one kills at once.
process.once('SIGINT', () => {
  controller.abort()
  process.once('SIGINT', () => process.exit(130))
})

process.exitCode = await run(process.argv, {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  signal: controller.signal,
  exitCode: 0,
  ...(process.stdin.isTTY ? { ask } : {}),
})
// A gateway SDK's keep-alive sockets must not hold the shell prompt; this timer fires only if something does.
setTimeout(() => process.exit(), 500).unref()
