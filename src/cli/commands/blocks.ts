import type { Command } from 'commander'
import type { BlockedPrefix } from '../../stores/blocks/index.js'
import { type CliContext, CliError, formatTable, withStores } from '../context.js'

function when(ms: number | null): string {
  return ms === null ? 'until removed' : new Date(ms).toISOString().replace('.000Z', 'Z')
}

function status(b: BlockedPrefix, now: number): string {
  if (b.removed_at !== null) return `removed ${when(b.removed_at)} by ${b.removed_by ?? '?'}`
  if (b.expires_at !== null && b.expires_at <= now) return 'expired'
  return 'active'
}

export function formatBlocks(blocks: BlockedPrefix[], now = Date.now()): string {
  if (blocks.length === 0) return 'No blocked prefixes.'
  const rows = blocks.map((b) => [
    b.prefix,
    b.reason,
    when(b.created_at),
    when(b.expires_at),
    status(b, now),
    b.detail,
  ])
  return formatTable(['PREFIX', 'REASON', 'BLOCKED AT', 'UNTIL', 'STATUS', 'DETAIL'], rows)
}

/** `royal-taxi blocks list|remove`: the number prefixes the SMS-pumping detector (src/abuse) blocked. */
export function registerBlocks(program: Command, ctx: CliContext): void {
  const blocks = program
    .command('blocks')
    .description('number prefixes blocked from receiving codes (SMS pumping)')
  blocks
    .command('list')
    .description('the blocks in force, newest first')
    .option('--all', 'with expired and removed blocks (the history)')
    .option('--json', 'print the rows as JSON')
    .action(async (options: { all?: boolean; json?: boolean }, command: Command) => {
      const rows = await withStores(ctx, command, (stores) =>
        stores.blocks.list({ all: options.all === true }),
      )
      ctx.out(options.json ? JSON.stringify(rows, null, 2) : formatBlocks(rows))
    })
  blocks
    .command('remove')
    .description('lift the block of a prefix (the detector leaves it alone for one window)')
    .argument('<prefix>', 'the blocked prefix, e.g. +998901234')
    .action(async (prefix: string, _options: unknown, command: Command) => {
      const removed = await withStores(ctx, command, (stores) => stores.blocks.remove(prefix, 'cli'))
      if (!removed) throw new CliError(`no active block for ${prefix}`)
      ctx.out(`Block of ${prefix} removed.`)
    })
}
