import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import { sql } from 'kysely'
import type { Pool } from 'pg'
import { deriveKey, hmac, timeOrderedId } from '../../src/crypto.js'
import { EXPIRED_ROWS_SWEEP_MS } from '../../src/plugins/sweep.js'
import { EXPIRED_TOKENS_KEPT_MS, REFRESH_TOKEN_SECONDS } from '../../src/sessions/service.js'
import { BACKENDS, buildTestApp, indexesOf, post, SECRET, signIn } from '../helpers.js'

const REFRESH = '/api/v1/auth/refresh'
const DEVICE = { name: 'Test phone', platform: 'android', country: null } as const
const LOGOUT = '/api/v1/auth/logout'
const ME = '/api/v1/users/me'

const refreshKey = deriveKey(SECRET, 'refresh-token')

/** A refresh token as the service makes them, `<row id>.<43 characters>`, for a row a test inserts itself. */
const tokenOf = (id: string, secret: string) => `${id}.${secret.padEnd(43, '-')}`

test('the access token is an EdDSA JWT with its kid, for the user and app, valid 15 minutes', async (t) => {
  const ta = await buildTestApp(t)
  const s = await signIn(ta)
  const { kid } = ta.app.keyRing.current()
  assert.deepEqual(decodeProtectedHeader(s.access_token), { alg: 'EdDSA', kid, typ: 'JWT' })
  const claims = decodeJwt(s.access_token)
  assert.deepEqual(Object.keys(claims).sort(), [
    'aud',
    'exp',
    'iat',
    'iss',
    'jti',
    'phone',
    'role',
    'sid',
    'sub',
  ])
  assert.equal(claims.sub, String(s.user.id))
  assert.equal(claims.iss, 'royal-taxi-auth')
  assert.equal(claims.aud, 'royal-taxi')
  assert.equal(claims.phone, s.user.phone)
  assert.equal(claims.role, 'passenger')
  assert.match(String(claims.jti), /^[0-9a-f-]{36}$/)
  assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900)
  assert.notEqual(
    decodeJwt((await signIn(ta, '+998901234568')).access_token).jti,
    claims.jti,
    'a jti is never reused',
  )
  assert.ok(s.refresh_token.length >= 43)
})

test('ES256, issuer, audience and lifetime come from the settings', async (t) => {
  const ta = await buildTestApp(t, {
    env: {
      TOKEN_ALGORITHM: 'ES256',
      TOKEN_ISSUER: 'https://auth.royaltaxi.uz',
      TOKEN_AUDIENCE: 'rides',
      ACCESS_TOKEN_MINUTES: '5',
    },
  })
  const s = await signIn(ta)
  assert.equal(decodeProtectedHeader(s.access_token).alg, 'ES256')
  const claims = decodeJwt(s.access_token)
  assert.equal(claims.iss, 'https://auth.royaltaxi.uz')
  assert.equal(claims.aud, 'rides')
  assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300)
  assert.equal(s.expires_in, 300)
  const me = await ta.app.inject({
    method: 'GET',
    url: ME,
    headers: { authorization: `Bearer ${s.access_token}` },
  })
  assert.equal(me.statusCode, 200)
})

test('GET and PATCH /users/me with the bearer token', async (t) => {
  const ta = await buildTestApp(t)
  const s = await signIn(ta)
  const auth = { authorization: `Bearer ${s.access_token}` }
  const me = await ta.app.inject({ method: 'GET', url: ME, headers: auth })
  assert.equal(me.statusCode, 200)
  assert.deepEqual(me.json(), s.user)

  const patched = await ta.app.inject({
    method: 'PATCH',
    url: ME,
    headers: auth,
    payload: { full_name: '  Aziz Karimov ' },
  })
  assert.equal(patched.statusCode, 200)
  assert.equal(patched.json().full_name, 'Aziz Karimov')
  const after = await ta.app.inject({ method: 'GET', url: ME, headers: auth })
  assert.equal(after.json().full_name, 'Aziz Karimov')

  const unknown = await ta.app.inject({
    method: 'PATCH',
    url: ME,
    headers: auth,
    payload: { phone: '+998991234567' },
  })
  assert.equal(unknown.statusCode, 422)
  assert.equal(unknown.json().code, 'VALIDATION_ERROR')
  const tooLong = await ta.app.inject({
    method: 'PATCH',
    url: ME,
    headers: auth,
    payload: { full_name: 'x'.repeat(101) },
  })
  assert.equal(tooLong.statusCode, 422)
})

test('missing, tampered, expired and alg:none tokens are refused with 401 and a code', async (t) => {
  const ta = await buildTestApp(t)
  const s = await signIn(ta)
  const get = (authorization?: string) =>
    ta.app.inject({ method: 'GET', url: ME, headers: authorization ? { authorization } : {} })

  const missing = await get()
  assert.equal(missing.statusCode, 401)
  assert.equal(missing.json().code, 'UNAUTHORIZED')
  assert.equal((await get(`Basic ${s.access_token}`)).json().code, 'UNAUTHORIZED')

  const [h, p, sig] = s.access_token.split('.')
  const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(s.access_token), sub: '999' })).toString(
    'base64url',
  )
  assert.equal((await get(`Bearer ${h}.${forgedPayload}.${sig}`)).json().code, 'TOKEN_INVALID')
  assert.equal((await get(`Bearer ${h}.${p}.${sig?.slice(0, -2)}xx`)).json().code, 'TOKEN_INVALID')

  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`
  assert.equal((await get(`Bearer ${none}`)).json().code, 'TOKEN_INVALID')

  // The tokens of earlier versions (HS256 under a key derived from SECRET_KEY) are refused: sign in again.
  const earlier = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(s.user.id))
    .setIssuer('royal-taxi')
    .setExpirationTime('5m')
    .sign(deriveKey(SECRET, 'jwt-hs256'))
  assert.equal((await get(`Bearer ${earlier}`)).json().code, 'TOKEN_INVALID')

  const { kid, alg, privateKey } = ta.app.keyRing.current()
  const expired = await new SignJWT({ phone: s.user.phone, role: 'passenger' })
    .setProtectedHeader({ alg, kid })
    .setSubject(String(s.user.id))
    .setIssuer('royal-taxi-auth')
    .setAudience('royal-taxi')
    .setJti('expired')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(privateKey)
  const res = await get(`Bearer ${expired}`)
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().code, 'TOKEN_EXPIRED')
  assert.equal((await get('Bearer not-a-jwt')).json().code, 'TOKEN_INVALID')
})

for (const backend of BACKENDS.filter((b) => b.name !== 'redis')) {
  const opts = { skip: backend.skip }

  test(
    `[${backend.name}] refresh rotates; reusing a rotated token revokes the whole family`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const s = await signIn(ta)
      const r1 = await post(ta.app, REFRESH, { refresh_token: s.refresh_token })
      assert.equal(r1.statusCode, 200)
      const next = r1.json()
      assert.deepEqual(Object.keys(next).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
        'token_type',
      ])
      assert.notEqual(next.refresh_token, s.refresh_token)

      const reuse = await post(ta.app, REFRESH, { refresh_token: s.refresh_token })
      assert.equal(reuse.statusCode, 401)
      assert.equal(reuse.json().code, 'REFRESH_TOKEN_REUSED')
      // The thief's copy is burned, and so is the legitimate successor: the family is revoked.
      const successor = await post(ta.app, REFRESH, { refresh_token: next.refresh_token })
      assert.equal(successor.statusCode, 401)
      assert.equal(successor.json().code, 'REFRESH_TOKEN_INVALID')
    },
  )

  test(
    `[${backend.name}] a refresh token names its row; only the whole token, secret and all, is accepted`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const s = await signIn(ta)
      const [id, secret] = s.refresh_token.split('.')
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.match(secret, /^[\w-]{43}$/)
      const rows = await ta.app.storage.db.db.selectFrom('refresh_tokens').selectAll().execute()
      assert.deepEqual(
        rows.map((r) => [r.id, r.token_hash]),
        [[id, hmac(refreshKey, s.refresh_token)]],
      )
      // The row's id with another secret, a token of another shape, or none of ours: unknown, and the
      // real token is neither rotated nor revoked by them (nor by a logout with a forged one).
      const forged = tokenOf(id, 'guessed')
      for (const token of [forged, `${s.refresh_token}x`, secret, 'garbage', `${id}.`]) {
        const res = await post(ta.app, REFRESH, { refresh_token: token })
        assert.equal(res.statusCode, 401, token)
        assert.equal(res.json().code, 'REFRESH_TOKEN_INVALID', token)
      }
      assert.equal((await post(ta.app, LOGOUT, { refresh_token: forged })).statusCode, 204)
      assert.equal((await post(ta.app, REFRESH, { refresh_token: s.refresh_token })).statusCode, 200)
    },
  )

  test(
    `[${backend.name}] a forged secret for a token's id, sent alongside the real token, neither wins nor gets the session revoked`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const s = await signIn(ta)
      const forged = tokenOf(s.refresh_token.split('.')[0] as string, 'guessed')
      // Both at once: the forgery must not rotate the real token or make it look reused.
      const [bad, good] = await Promise.allSettled([
        ta.app.sessions.refresh(forged),
        ta.app.sessions.refresh(s.refresh_token),
      ])
      assert.equal(bad?.status === 'rejected' && bad.reason.code, 'REFRESH_TOKEN_INVALID')
      assert.equal(good?.status, 'fulfilled')
      const successor = good?.status === 'fulfilled' ? good.value.refresh_token : ''
      const next = await post(ta.app, REFRESH, { refresh_token: successor })
      assert.equal(next.statusCode, 200, 'the family is not revoked')
    },
  )

  test(`[${backend.name}] concurrent refreshes with one token: exactly one succeeds`, opts, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const s = await signIn(ta)
    const results = await Promise.all(
      Array.from({ length: 8 }, () => post(ta.app, REFRESH, { refresh_token: s.refresh_token })),
    )
    assert.equal(results.filter((r) => r.statusCode === 200).length, 1)
    assert.ok(results.every((r) => r.statusCode === 200 || r.statusCode === 401))
  })

  test(
    `[${backend.name}] concurrent first sign-ins of one number: one user, one of them new`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const phone = '+998901112233'
      const results = await Promise.all(
        Array.from({ length: 8 }, () => ta.app.sessions.signIn(phone, 'passenger', DEVICE)),
      )
      assert.equal(new Set(results.map((r) => r.user.id)).size, 1)
      assert.equal(results.filter((r) => r.isNew).length, 1)
      const tokens = await ta.app.storage.db.db.selectFrom('refresh_tokens').select('user_id').execute()
      assert.equal(tokens.length, 8, 'one refresh token per sign-in, none lost or doubled')
      for (const r of results)
        assert.equal((await ta.app.sessions.authenticate(r.session.access_token)).userId, r.user.id)
    },
  )

  test(`[${backend.name}] logout ends the session; unknown tokens are accepted silently`, opts, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const s = await signIn(ta)
    const out = await post(ta.app, LOGOUT, { refresh_token: s.refresh_token })
    assert.equal(out.statusCode, 204)
    assert.equal(out.body, '')
    const after = await post(ta.app, REFRESH, { refresh_token: s.refresh_token })
    assert.equal(after.statusCode, 401)
    assert.equal((await post(ta.app, LOGOUT, { refresh_token: 'never-issued' })).statusCode, 204)
    const rows = await ta.app.storage.db.db.selectFrom('refresh_tokens').selectAll().execute()
    assert.ok(rows.every((r) => r.revoked_at !== null))
    assert.ok(
      rows.every((r) => r.token_hash !== s.refresh_token),
      'refresh tokens are stored hashed',
    )
  })

  test(
    `[${backend.name}] refresh tokens have two indexes: the id a token names, and (user, family) for revoking a family or deleting a user`,
    opts,
    async (t) => {
      const ta = await buildTestApp(t, { env: await backend.env(t) })
      const s = await signIn(ta)
      const db = ta.app.storage.db.db
      const postgres = backend.name === 'postgres'
      const names = await indexesOf(ta.app.storage.db, 'refresh_tokens')
      assert.deepEqual(
        names,
        postgres
          ? ['refresh_tokens_pkey', 'refresh_tokens_user_family']
          : ['refresh_tokens_user_family', 'sqlite_autoindex_refresh_tokens_1'],
      )
      // The family's revocation is found through the (user, family) index (PostgreSQL told not to scan
      // a table this small instead).
      const plan = await db.transaction().execute(async (trx) => {
        if (postgres) await sql`set local enable_seqscan = off`.execute(trx)
        const revoke = sql`update refresh_tokens set revoked_at = 1
          where user_id = ${1} and family_id = ${'f'} and revoked_at is null`
        const rows = postgres
          ? (await sql<{ 'QUERY PLAN': string }>`explain ${revoke}`.execute(trx)).rows.map(
              (r) => r['QUERY PLAN'],
            )
          : (await sql<{ detail: string }>`explain query plan ${revoke}`.execute(trx)).rows.map(
              (r) => r.detail,
            )
        return rows.join('\n')
      })
      assert.match(plan, /refresh_tokens_user_family/)
      // A deleted user takes its tokens along.
      const me = await ta.app.sessions.authenticate(s.access_token)
      await db.deleteFrom('users').where('id', '=', me.userId).execute()
      assert.equal((await db.selectFrom('refresh_tokens').select('id').execute()).length, 0)
    },
  )
}

for (const backend of BACKENDS)
  test(`[${backend.name}] an expired refresh token is refused`, { skip: backend.skip }, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const s = await signIn(ta)
    await ta.app.storage.db.db
      .updateTable('refresh_tokens')
      .set({ expires_at: Date.now() - 1 })
      .execute()
    const res = await post(ta.app, REFRESH, { refresh_token: s.refresh_token })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().code, 'REFRESH_TOKEN_EXPIRED')
    assert.equal(
      (await post(ta.app, REFRESH, { refresh_token: 'garbage' })).json().code,
      'REFRESH_TOKEN_INVALID',
    )
  })

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`[${backend.name}] the sweep removes refresh tokens a week past their expiry, and only those`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const db = ta.app.storage.db.db
    const live = await signIn(ta)
    await ta.app.sessions.refresh(live.refresh_token) // a rotated row, live for 30 days
    const now = Date.now()
    const lifetime = REFRESH_TOKEN_SECONDS * 1000
    // Tokens made long ago, as the service makes them: the id tells when, the expiry is 30 days after.
    const ids = new Map<string, string>()
    const made = (name: string, at: number) => {
      const id = timeOrderedId(at)
      ids.set(name, id)
      return {
        id,
        user_id: live.user.id,
        family_id: `family-${name}`,
        token_hash: hmac(refreshKey, tokenOf(id, name)),
        created_at: at,
        expires_at: at + lifetime,
        rotated_at: null,
        revoked_at: null,
      }
    }
    const weekAgo = now - EXPIRED_TOKENS_KEPT_MS - lifetime
    await db
      .insertInto('refresh_tokens')
      .values([made('recent', weekAgo + 60_000), made('old', weekAgo - 60_000)])
      .execute()
    // More than one chunk's worth of old rows, rotated ones among them.
    const old = Array.from({ length: 1200 }, (_, i) => ({
      ...made(`old-${i}`, weekAgo - 3_600_000 - i),
      rotated_at: i % 2 ? weekAgo : null,
    }))
    for (let i = 0; i < old.length; i += 400)
      await db
        .insertInto('refresh_tokens')
        .values(old.slice(i, i + 400))
        .execute()

    assert.equal(await ta.app.sessions.sweep(now), 1201)
    const left = await db.selectFrom('refresh_tokens').select('family_id').execute()
    assert.equal(left.length, 3)
    assert.equal(left.filter((r) => r.family_id === 'family-recent').length, 1)
    // Within the week it is still told apart; past it, unknown.
    const code = async (name: string) =>
      (await post(ta.app, REFRESH, { refresh_token: tokenOf(ids.get(name) as string, name) })).json().code
    assert.equal(await code('recent'), 'REFRESH_TOKEN_EXPIRED')
    assert.equal(await code('old'), 'REFRESH_TOKEN_INVALID')
    assert.equal(await ta.app.sessions.sweep(now), 0)
  })

test('the service itself sweeps expired codes, long-expired refresh tokens and ended limit windows, every ten minutes', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] })
  const ta = await buildTestApp(t)
  const db = ta.app.storage.db.db
  const live = await signIn(ta)
  const longAgo = Date.now() - EXPIRED_TOKENS_KEPT_MS - REFRESH_TOKEN_SECONDS * 1000 - 60_000
  await db
    .insertInto('refresh_tokens')
    .values({
      id: timeOrderedId(longAgo),
      user_id: live.user.id,
      family_id: 'family-old',
      token_hash: hmac(refreshKey, 'old'),
      created_at: longAgo,
      expires_at: longAgo + REFRESH_TOKEN_SECONDS * 1000,
      rotated_at: null,
      revoked_at: null,
    })
    .execute()
  await post(ta.app, '/api/v1/auth/send-otp', { phone: '+998901112233' })
  await db
    .updateTable('otp_codes')
    .set({ expires_at: Date.now() - 1 })
    .execute()
  await sql`update rate_limit_otp_ip set expire = ${Date.now() - 1}`.execute(db)
  const rows = async () => ({
    tokens: (await db.selectFrom('refresh_tokens').select('family_id').execute()).length,
    codes: (await db.selectFrom('otp_codes').select('phone').execute()).length,
    limits: (await sql`select key from rate_limit_otp_ip`.execute(db)).rows.length,
  })
  assert.deepEqual(await rows(), { tokens: 2, codes: 1, limits: 1 })

  t.mock.timers.tick(EXPIRED_ROWS_SWEEP_MS - 1)
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(await rows(), { tokens: 2, codes: 1, limits: 1 }, 'not before ten minutes')
  t.mock.timers.tick(1)
  // Done when both sweeps have said so (each logs once it has gone through all its rows).
  const swept = () => ta.logs.lines.filter((l) => /^removed 1 expired/.test(l.msg)).length === 2
  for (let i = 0; i < 100 && !swept(); i++) await new Promise((r) => setImmediate(r))
  assert.deepEqual(await rows(), { tokens: 1, codes: 0, limits: 0 })
  assert.ok(ta.logs.lines.some((l) => l.msg === 'removed 1 expired refresh token(s)'))
  assert.ok(ta.logs.lines.some((l) => l.msg === 'removed 1 expired rate-limit row(s)'))
})

/** An app on PostgreSQL and its pool, for the tests that look at what goes over the wire. */
async function onPostgres(t: TestContext) {
  const backend = BACKENDS.find((b) => b.name === 'postgres')
  assert.ok(backend)
  const ta = await buildTestApp(t, { env: await backend.env(t) })
  const handle = ta.app.storage.db
  if (handle.kind !== 'postgres') throw new Error('expected PostgreSQL')
  return { ta, pool: handle.pool }
}

/** Every statement the pool's clients send from now on, in order. */
function recordStatements(pool: Pool): string[] {
  const sent: string[] = []
  const wrapped = new WeakSet<object>()
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return
    wrapped.add(client)
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text: string }
      sent.push(typeof first === 'string' ? first : first.text)
      return query(...args)
    }
  })
  return sent
}

/** The statements among `sent` that touch users or refresh tokens, or open or end a transaction. */
const sessionWrites = (sent: string[]) =>
  sent.filter((q) => /\busers\b|\brefresh_tokens\b|^(begin|commit)/i.test(q))

const POSTGRES = { skip: process.env.DATABASE_URL ? false : 'DATABASE_URL is not set' }

test(
  '[postgres] a sign-in and a refresh are one statement each: no transaction, nothing to race',
  POSTGRES,
  async (t) => {
    const { ta, pool } = await onPostgres(t)
    const sent = recordStatements(pool)
    const users = () => sessionWrites(sent)
    const first = await ta.app.sessions.signIn('+998901112244', 'passenger', DEVICE)
    assert.equal(users().length, 1, users().join('\n'))
    assert.ok(first.isNew)
    sent.length = 0
    const again = await ta.app.sessions.signIn('+998901112244', 'passenger', DEVICE)
    assert.equal(users().length, 1, users().join('\n'))
    assert.equal(again.user.id, first.user.id)
    assert.equal(again.isNew, false)
    sent.length = 0
    const next = await ta.app.sessions.refresh(again.session.refresh_token)
    // The live token rotated and its successor inserted, found by its hash in the same statement.
    assert.equal(users().length, 1, users().join('\n'))
    await assert.rejects(ta.app.sessions.refresh(again.session.refresh_token), /REFRESH_TOKEN_REUSED/)
    await assert.rejects(
      ta.app.sessions.refresh(next.refresh_token),
      /REFRESH_TOKEN_INVALID/,
      'the family is revoked',
    )
  },
)
