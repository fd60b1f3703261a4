import type { Redis } from 'ioredis'
import type { RedisBackend } from '../../redis.js'
import type { Check, CodeStore, PendingCode } from './index.js'

// A code is a hash {id, h, a} (id, HMAC, attempts) under `<prefix>otp:<phone>`, expiring with the code.
// Each operation is one script, so it runs atomically in Redis.

const SAVE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'h', ARGV[2], 'a', 0)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1`
// Counts the attempt, compares, then deletes a right code or, on the last wrong attempt, destroys the hash.
// The hashes are compared by their SHA-1s, so how long the comparison takes tells nothing about the stored
// one (the double-hashing comparison, as `secretEquals` in crypto.ts).
const CHECK = `
local v = redis.call('HMGET', KEYS[1], 'h', 'a')
if not v[1] then return {0} end
local max = tonumber(ARGV[2])
local a = tonumber(v[2])
if a >= max then return {1} end
a = a + 1
if v[1] ~= '' and redis.sha1hex(v[1]) == redis.sha1hex(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return {2}
end
if a >= max then redis.call('HSET', KEYS[1], 'a', a, 'h', '') else redis.call('HSET', KEYS[1], 'a', a) end
return {3, a}`
const TAKE = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/** The scripts as commands of the client (ioredis runs them by their SHA and reloads them when needed). */
interface CodeCommands {
  royalTaxiOtpSave(key: string, id: string, hash: string, expiresAt: number): Promise<number>
  royalTaxiOtpCheck(key: string, hash: string, maxAttempts: number): Promise<[number, number?]>
  royalTaxiOtpTake(key: string, id: string): Promise<number>
}

function withCodeCommands(client: Redis): Redis & CodeCommands {
  if (!('royalTaxiOtpCheck' in client)) {
    client.defineCommand('royalTaxiOtpSave', { numberOfKeys: 1, lua: SAVE })
    client.defineCommand('royalTaxiOtpCheck', { numberOfKeys: 1, lua: CHECK })
    client.defineCommand('royalTaxiOtpTake', { numberOfKeys: 1, lua: TAKE })
  }
  return client as Redis & CodeCommands
}

/** Pending codes in Redis, shared by every instance; Redis expires them itself. */
export class RedisCodeStore implements CodeStore {
  private readonly client: Redis & CodeCommands
  private readonly keyPrefix: string

  constructor(redis: RedisBackend) {
    this.client = withCodeCommands(redis.client)
    this.keyPrefix = redis.keyPrefix
  }

  private key(phone: string): string {
    return `${this.keyPrefix}otp:${phone}`
  }

  async save(phone: string, code: PendingCode): Promise<void> {
    await this.client.royalTaxiOtpSave(this.key(phone), code.id, code.hash, code.expiresAt)
  }

  async check(phone: string, hash: string, maxAttempts: number): Promise<Check> {
    const [kind, attempts] = await this.client.royalTaxiOtpCheck(this.key(phone), hash, maxAttempts)
    if (kind === 0) return { kind: 'none' }
    if (kind === 1) return { kind: 'exhausted' }
    if (kind === 2) return { kind: 'right' }
    return { kind: 'wrong', attemptsLeft: maxAttempts - Number(attempts) }
  }

  async take(phone: string, id: string): Promise<boolean> {
    return (await this.client.royalTaxiOtpTake(this.key(phone), id)) === 1
  }

  /** Redis expires the key with the code, so a key still there is unexpired. */
  async isLive(phone: string, id: string): Promise<boolean> {
    const [current, hash] = await this.client.hmget(this.key(phone), 'id', 'h')
    return current === id && Boolean(hash)
  }

  async sweep(): Promise<void> {}
}
