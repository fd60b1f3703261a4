import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import type { Logger } from 'pino'
import type { SigningKey, SigningKeyStore } from '../stores/keys/index.js'
import {
  dropExpired,
  keyState,
  makeSigningKey,
  publicJwk,
  RELOAD_MS,
  rotateKeys,
  type SigningAlgorithm,
  sealingKey,
  UnsealError,
  unsealPrivateKey,
} from './key-pairs.js'

export interface KeyRingOptions {
  store: SigningKeyStore
  /** SECRET_KEY: the private keys are sealed under a key derived from it. */
  secret: string
  /** The algorithm of a key this instance makes (the first one); a current key of another is still used. */
  algorithm: SigningAlgorithm
  accessTokenSeconds: number
  log: Logger
  now?: () => number
  /** How often the keys are read again (default RELOAD_MS); tests shorten it. */
  reloadMs?: number
  /**
   * SECRET_KEY was generated for this run (development without one): a current key sealed by an earlier run
   * can never be opened again, so it is replaced at start instead of refusing to start.
   */
  secretIsEphemeral?: boolean
}

interface PublishedKey {
  alg: SigningAlgorithm
  key: KeyObject
  jwk: JsonWebKey
  /** null for the current key; a previous key's end of publication. */
  until: number | null
}

interface Loaded {
  current: { kid: string; alg: SigningAlgorithm; privateKey: KeyObject }
  /** Current first, then previous keys, newest first. */
  published: Map<string, PublishedKey>
}

/** Start-up cannot go on: the message says why and what to do. */
export class KeyRingError extends Error {
  override name = 'KeyRingError'
}

/**
 * The signing keys every instance shares through the database: the current key signs, it and the previous
 * keys (retired, still published until the tokens they signed have expired) verify and make the JWKS.
 *
 * "Current" is the one unretired key; the store admits no second one, so instances that race to make the
 * first key agree on whichever was stored first (the loser's key is never stored, never used). The keys are
 * read again every RELOAD_MS, so a rotation made elsewhere (`royal-taxi keys rotate`, another instance)
 * reaches this one within that time; a failed reload keeps the keys it has.
 */
export class KeyRing {
  private loaded: Loaded
  private readonly timer: NodeJS.Timeout
  private reloading: Promise<void> | null = null
  private failing = false
  private readonly now: () => number
  private readonly sealWith: Buffer

  private constructor(
    private readonly options: KeyRingOptions,
    loaded: Loaded,
  ) {
    this.loaded = loaded
    this.now = options.now ?? Date.now
    this.sealWith = sealingKey(options.secret)
    this.timer = setInterval(() => void this.reload(), options.reloadMs ?? RELOAD_MS)
    // The timer must not keep a process alive that has nothing else to do (the CLI, a test).
    this.timer.unref()
  }

  /** Loads the keys, making the first one when there is none; fails with a clear message when it cannot. */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const { store, log, accessTokenSeconds } = options
    const now = (options.now ?? Date.now)()
    const sealWith = sealingKey(options.secret)
    await dropExpired(store, now, accessTokenSeconds)
    let rows = await store.list()
    if (!rows.some((r) => r.retired_at === null)) {
      const made = await makeSigningKey(options.algorithm, sealWith)
      const stored = await store.createFirst(made, now)
      if (stored) log.info(`🔑 Made the first token signing key ${made.kid} (${made.alg})`)
      rows = await store.list()
    }
    let loaded: Loaded
    try {
      loaded = fromRows(rows, sealWith, now, accessTokenSeconds, null)
    } catch (err) {
      if (!(err instanceof UnsealError && options.secretIsEphemeral)) throw startupError(err)
      // Sealed by an earlier run's generated SECRET_KEY: nobody can ever open it again.
      const outcome = await rotateKeys({ ...options, now })
      log.warn(
        { kid: outcome.created, retired: outcome.retired },
        'signing keys: SECRET_KEY is generated for this run, so the key of an earlier run cannot be opened: made a new one (the old one still verifies its tokens until they expire); set SECRET_KEY in .env to keep keys across restarts',
      )
      loaded = fromRows(await store.list(), sealWith, now, accessTokenSeconds, null)
    }
    if (loaded.current.alg !== options.algorithm)
      log.warn(
        { kid: loaded.current.kid, alg: loaded.current.alg },
        `signing keys: TOKEN_ALGORITHM is ${options.algorithm} but the current key is ${loaded.current.alg}; tokens are signed with ${loaded.current.alg} until "royal-taxi keys rotate" makes a ${options.algorithm} key`,
      )
    return new KeyRing(options, loaded)
  }

  /** The key new tokens are signed with. */
  current(): { kid: string; alg: SigningAlgorithm; privateKey: KeyObject } {
    return this.loaded.current
  }

  /** A published key (current or previous) by its kid; undefined when unknown or its publication is over. */
  publicKey(kid: string): { alg: SigningAlgorithm; key: KeyObject } | undefined {
    const found = this.loaded.published.get(kid)
    if (!found || !this.stillPublished(found)) return undefined
    return { alg: found.alg, key: found.key }
  }

  /** The JWKS: public members only (kty, crv, x, y, kid, alg, use). */
  jwks(): { keys: JsonWebKey[] } {
    return {
      keys: [...this.loaded.published.values()].filter((k) => this.stillPublished(k)).map((k) => k.jwk),
    }
  }

  /**
   * Reads the keys again (the timer calls this; tests may too): drops those whose publication is over and
   * takes up a new current key. Never throws: a failure keeps the keys loaded and is logged once.
   */
  reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = null
    })
    return this.reloading
  }

  /** Stops the reloads. */
  close(): void {
    clearInterval(this.timer)
  }

  private stillPublished(key: PublishedKey): boolean {
    return key.until === null || key.until > this.now()
  }

  private async load(): Promise<void> {
    const { store, log, accessTokenSeconds } = this.options
    const before = this.loaded.current.kid
    try {
      const now = this.now()
      const dropped = await dropExpired(store, now, accessTokenSeconds)
      if (dropped.length > 0)
        log.info({ kids: dropped }, 'signing keys: dropped keys whose tokens have expired')
      this.loaded = fromRows(await store.list(), this.sealWith, now, accessTokenSeconds, this.loaded)
    } catch (err) {
      // Once per run of failures: a database that is down for a while must not fill the log every 30 s.
      if (!this.failing)
        log.warn(
          { err },
          `signing keys: reload failed, signing with ${before} as before until a reload succeeds: ${(err as Error).message}`,
        )
      this.failing = true
      return
    }
    if (this.failing) log.info('signing keys: reloading works again')
    this.failing = false
    const { kid, alg } = this.loaded.current
    if (kid !== before) log.info({ kid, alg, previous: before }, 'signing keys: now signing with a new key')
  }
}

/**
 * The keys to use from the rows (newest first): the unretired one signs, the retired ones still in their
 * window are published. Keys already loaded are reused, so a reload decrypts nothing it has seen before.
 */
function fromRows(
  rows: SigningKey[],
  sealWith: Buffer,
  now: number,
  accessTokenSeconds: number,
  before: Loaded | null,
): Loaded {
  const row = rows.find((r) => r.retired_at === null)
  if (!row) throw new KeyRingError('the database holds no current signing key')
  const privateKey =
    before?.current.kid === row.kid ? before.current.privateKey : unsealPrivateKey(sealWith, row)
  const published = new Map<string, PublishedKey>()
  for (const r of [row, ...rows.filter((k) => k !== row)]) {
    const state = keyState(r, now, accessTokenSeconds)
    if (state.state === 'expired') continue
    const jwk = publicJwk(r)
    published.set(r.kid, {
      alg: r.alg,
      key: before?.published.get(r.kid)?.key ?? createPublicKey({ key: jwk, format: 'jwk' }),
      jwk,
      until: state.state === 'previous' ? state.until : null,
    })
  }
  return { current: { kid: row.kid, alg: row.alg, privateKey }, published }
}

function startupError(err: unknown): Error {
  if (err instanceof UnsealError)
    return new KeyRingError(
      `${err.message}: was SECRET_KEY changed since the key was made? Set SECRET_KEY back to the value it had, or run "royal-taxi keys rotate" to make a new key under this SECRET_KEY (tokens signed with the old key keep verifying until they expire)`,
      { cause: err },
    )
  return err instanceof Error ? err : new Error(String(err))
}
