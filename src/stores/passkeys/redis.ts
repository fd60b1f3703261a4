import type { Redis } from 'ioredis'
import type { RedisBackend } from '../../redis.js'
import type { Challenge, ChallengePurpose, ChallengeStore } from './index.js'

// A challenge is a string "<purpose>:<user id or empty>:<expiry>" under `<prefix>webauthn:<challenge>`, expiring with
// the challenge. Taking it is one script (GET then DEL), so one caller gets it; GETDEL would need Redis 6.2.
const TAKE = `
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v`

interface ChallengeCommands {
  royalTaxiChallengeTake(key: string): Promise<string | null>
}

function withChallengeCommands(client: Redis): Redis & ChallengeCommands {
  if (!('royalTaxiChallengeTake' in client))
    client.defineCommand('royalTaxiChallengeTake', { numberOfKeys: 1, lua: TAKE })
  return client as Redis & ChallengeCommands
}

/** Challenges in Redis, shared by every instance; Redis expires them itself. */
export class RedisChallengeStore implements ChallengeStore {
  private readonly client: Redis & ChallengeCommands
  private readonly keyPrefix: string

  constructor(redis: RedisBackend) {
    this.client = withChallengeCommands(redis.client)
    this.keyPrefix = redis.keyPrefix
  }

  private key(challenge: string): string {
    return `${this.keyPrefix}webauthn:${challenge}`
  }

  async save(challenge: string, c: Challenge): Promise<void> {
    const ttl = Math.max(1, c.expiresAt - Date.now())
    await this.client.set(this.key(challenge), `${c.purpose}:${c.userId ?? ''}:${c.expiresAt}`, 'PX', ttl)
  }

  async take(challenge: string, now: number): Promise<Challenge | null> {
    const value = await this.client.royalTaxiChallengeTake(this.key(challenge))
    if (value === null) return null
    const [purpose, user, expiresAt] = value.split(':') as [ChallengePurpose, string, string]
    if (Number(expiresAt) <= now) return null
    return { purpose, userId: user === '' ? null : Number(user), expiresAt: Number(expiresAt) }
  }

  async sweep(): Promise<void> {}
}
