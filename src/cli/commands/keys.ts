import type { Command } from 'commander'
import type { SigningKey } from '../../stores/keys/index.js'
import { keyState, publishedUntil, RELOAD_MS, rotateKeys } from '../../tokens/key-pairs.js'
import { type CliContext, CliError, formatTable, withStores } from '../context.js'

const when = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

function state(key: SigningKey, now: number, accessTokenSeconds: number): string {
  const s = keyState(key, now, accessTokenSeconds)
  if (s.state === 'previous') return `previous until ${when(s.until)}`
  return s.state
}

export function formatKeys(keys: SigningKey[], accessTokenSeconds: number, now = Date.now()): string {
  if (keys.length === 0) return 'No signing keys yet: the service makes the first one when it starts.'
  const rows = keys.map((k) => [k.kid, k.alg, when(k.created_at), state(k, now, accessTokenSeconds)])
  return formatTable(['KID', 'ALG', 'CREATED', 'STATE'], rows)
}

/** `royal-taxi keys list|rotate`: the keys access tokens are signed with (docs/TOKENS.md). */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('the keys access tokens are signed with (the JWKS)')
  keys
    .command('list')
    .description('every key, newest first, with its state: current, previous (still published) or expired')
    .option('--json', 'print the keys as JSON (public halves only)')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withStores(ctx, command, async ({ keys: store }, config) => {
        const { accessTokenSeconds } = config.tokens
        const rows = await store.list()
        const now = Date.now()
        if (!options.json) return ctx.out(formatKeys(rows, accessTokenSeconds, now))
        const listed = rows.map((k) => {
          const s = keyState(k, now, accessTokenSeconds)
          return {
            kid: k.kid,
            alg: k.alg,
            created_at: when(k.created_at),
            retired_at: k.retired_at === null ? null : when(k.retired_at),
            state: s.state,
            published_until: s.state === 'previous' ? when(s.until) : null,
          }
        })
        ctx.out(JSON.stringify(listed, null, 2))
      })
    })
  keys
    .command('rotate')
    .description(
      'make a new current key (TOKEN_ALGORITHM); the old one stays published until its tokens have expired',
    )
    .action(async (_options: unknown, command: Command) => {
      await withStores(ctx, command, async ({ keys: store }, config) => {
        const { accessTokenSeconds, algorithm } = config.tokens
        // Sealed under a key made up for this command, the new key could never be opened by the service.
        if (config.secretKeyGenerated)
          throw new CliError('SECRET_KEY is not set: set the one the service runs with, then rotate')
        const now = Date.now()
        const outcome = await rotateKeys({
          store,
          secret: config.secretKey,
          algorithm,
          accessTokenSeconds,
          now,
        })
        for (const kid of outcome.dropped) ctx.out(`Dropped ${kid}: every token it signed has expired.`)
        ctx.out(`Made ${outcome.created} (${algorithm}), the current key from now on.`)
        const until = when(publishedUntil(now, accessTokenSeconds))
        for (const kid of outcome.retired)
          ctx.out(`Retired ${kid}: still published until ${until} (its tokens verify until they expire).`)
        ctx.out(
          `Running instances sign with the new key from their next reload (within ${RELOAD_MS / 1000} seconds).`,
        )
      })
    })
}
