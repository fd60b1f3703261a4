import { Command, CommanderError } from 'commander'
import { COMMANDS } from './commands/index.js'
import { type CliContext, CliError, describeError } from './context.js'

/** The `royal-taxi` program with every command group registered (src/cli/commands/index.ts lists them). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('royal-taxi')
    .description('Operator tools for the Royal Taxi sign-in service')
    .option(
      '--env-file <path>',
      'settings file read under the process environment, as the server does',
      '.env',
    )
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.err(s.replace(/\n$/, '')),
      // Commander's own errors ("unknown option") are already one line.
      outputError: (s, write) => write(s),
    })
  for (const register of COMMANDS) register(program, ctx)
  return program
}

/**
 * Runs one command line (`argv` as in process.argv) and returns the exit code. Every failure becomes one
 * line on stderr: `royal-taxi: <what went wrong>`, never a stack trace.
 */
export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx)
  try {
    await program.parseAsync(argv)
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    ctx.err(`royal-taxi: ${err instanceof CliError ? err.message : describeError(err)}`)
    return 1
  }
}
