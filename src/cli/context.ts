import { resolve } from 'node:path'
import type { Command } from 'commander'
import pino, { type Logger } from 'pino'
import { type Config, ConfigError, loadConfig, readEnv } from '../config.js'
import { type DatabaseHandle, describeDatabase, migrate, openDatabase } from '../db/index.js'
import { openStores, type Stores } from '../stores/index.js'

/** What a command may touch of the outside world; tests give their own. */
export interface CliContext {
  /** Writes one line (or block) to standard output. */
  out: (text: string) => void
  /** Writes one line to standard error. */
  err: (text: string) => void
  /** The process environment to read settings from; undefined: the real one (read by config.ts only). */
  processEnv?: NodeJS.ProcessEnv
  /** Aborted when the user presses Ctrl-C (long-running commands stop cleanly). */
  signal?: AbortSignal
  /** Set by a command whose work ran but reported a failure (doctor with a ❌, an SMS not sent). */
  exitCode: number
  /**
   * Asks the person at the terminal and resolves with the line they typed; absent when no one can answer
   * (standard input is not a terminal), and a command that needs a confirmation then asks for --yes.
   */
  ask?: (question: string) => Promise<string>
}

/** A failure to report as one line, without a stack trace. */
export class CliError extends Error {
  override name = 'CliError'
}

/** The options every command inherits from the program. */
export interface GlobalOptions {
  envFile: string
}

/** The settings the server would read: `--env-file` (default .env) under the process environment. */
export function readSettings(ctx: CliContext, options: GlobalOptions): Record<string, string> {
  return readEnv(resolve(options.envFile), ctx.processEnv)
}

/** The validated configuration, or a one-line error pointing at `doctor` for the details and fixes. */
export function cliConfig(ctx: CliContext, options: GlobalOptions): Config {
  try {
    return loadConfig(readSettings(ctx, options))
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(
        `invalid configuration: ${err.problems.join('; ')} (run "royal-taxi doctor" for the fixes)`,
      )
    throw err
  }
}

/** Commands print their own outcomes; the service's log lines would only repeat them. */
export const quietLogger: Logger = pino({ level: 'silent' })

/** Opens the database, runs `work`, and closes it whatever happens. */
export async function withDatabase<T>(config: Config, work: (db: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = openDatabase(config.database)
  try {
    return await work(handle)
  } finally {
    await handle.close()
  }
}

/**
 * The configuration of `command`, the database with its migrations applied first (as the server does, so a
 * command's tables exist on a fresh database), and `work` given its stores; the database is closed after.
 */
export async function withStores<T>(
  ctx: CliContext,
  command: Command,
  work: (stores: Stores, config: Config) => Promise<T>,
): Promise<T> {
  const config = cliConfig(ctx, command.optsWithGlobals<GlobalOptions>())
  return await withDatabase(config, async (handle) => {
    await migrate(handle)
    return await work(openStores(handle, null), config)
  })
}

/** Rows under a header, each column as wide as its widest cell, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/**
 * One line for any error: connection failures name what was refused (pg throws an AggregateError with an
 * empty message when every address of a host refuses), everything else its first line.
 */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0])
  if (!(err instanceof Error)) return String(err)
  const { code, address, port } = err as { code?: string; address?: string; port?: number }
  const first = err.message.split('\n')[0]?.trim() ?? ''
  if (code && address) return `${code} ${address}${port ? `:${port}` : ''}${first ? ` (${first})` : ''}`
  if (first) return first
  if (err.cause) return describeError(err.cause)
  return code ?? err.name
}

export { describeDatabase }
