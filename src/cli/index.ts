#!/usr/bin/env node
// The `royal-taxi` command (package.json "bin"; `npm run cli -- <command>` in the repo).
import { run } from './program.js'

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
})
// A gateway SDK's keep-alive sockets must not hold the shell prompt; this timer fires only if something does.
setTimeout(() => process.exit(), 500).unref()
