import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { Check, Status } from '../../channels/connector.js'
import type { CliContext, GlobalOptions } from '../context.js'
import { runDoctor } from '../doctor/run.js'

const ICON: Record<Status, string> = { ok: '✅', warn: '⚠️ ', fail: '❌' }

function report(checks: Check[], envFile: string): string {
  const lines = [`Royal Taxi doctor: settings from ${envFile} and the process environment`]
  let section = ''
  for (const c of checks) {
    if (c.section !== section) {
      section = c.section
      lines.push('', section)
    }
    lines.push(`  ${ICON[c.status]} ${c.message}`)
    if (c.fix && c.status !== 'ok') lines.push(`     fix: ${c.fix}`)
  }
  const failed = checks.filter((c) => c.status === 'fail').length
  const warned = checks.filter((c) => c.status === 'warn').length
  lines.push(
    '',
    failed > 0
      ? `${failed} problem(s) to fix${warned ? `, ${warned} warning(s)` : ''}: see the ❌ lines above`
      : warned > 0
        ? `No problems; ${warned} warning(s)`
        : 'No problems found',
  )
  return lines.join('\n')
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description(
      'check the settings, the SMS providers (live), the database and Redis, and say how to fix what is wrong; exit code 1 if anything failed',
    )
    .option('--json', 'print the checks as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const envFile = resolve(command.optsWithGlobals<GlobalOptions>().envFile)
      const checks = await runDoctor({ envFile, ...(ctx.processEnv ? { processEnv: ctx.processEnv } : {}) })
      const failed = checks.some((c) => c.status === 'fail')
      ctx.exitCode = failed ? 1 : 0
      if (options.json) {
        const count = (s: Status) => checks.filter((c) => c.status === s).length
        ctx.out(
          JSON.stringify(
            { ok: !failed, summary: { ok: count('ok'), warn: count('warn'), fail: count('fail') }, checks },
            null,
            2,
          ),
        )
      } else ctx.out(report(checks, envFile))
    })
}
