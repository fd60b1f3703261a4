import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { numberPrefix } from '../../src/abuse/blocks.js'
import { BLOCKS_REFRESH_MS } from '../../src/abuse/pumping.js'
import { ADMIN_ENV, auth } from '../admin/seed.js'
import { cli as runCli, runCliProcess } from '../cli/helpers.js'
import { BACKENDS, buildTestApp, post, type TestApp } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'
const OPEN = { OTP_RESEND_SECONDS: '0', OTP_IP_LIMIT_PER_MINUTE: '1000', VERIFY_IP_LIMIT_PER_MINUTE: '1000' }
/** Numbers of one prefix (+998901234) and of another (+998935550). */
const inPrefix = (i: number) => `+998901234${String(i).padStart(3, '0')}`
const other = (i: number) => `+998935550${String(i).padStart(3, '0')}`

const send = (ta: TestApp, phone: string) => post(ta.app, SEND, { phone })

test('the prefix is the number without its last PUMPING_PREFIX_DROP_DIGITS digits', () => {
  assert.equal(numberPrefix('+998901234567', 3), '+998901234')
  assert.equal(numberPrefix('+998901234567', 5), '+9989012')
})

for (const backend of BACKENDS) {
  const name = (s: string) => `[${backend.name}] ${s}`
  test(name('too many codes for one prefix block it: 429 OTP_PREFIX_BLOCKED, a row, a log line'), {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, {
      env: {
        ...(await backend.env(t)),
        ...OPEN,
        PUMPING_MAX_CODES_PER_PREFIX: '3',
        PUMPING_BLOCK_SECONDS: '7200',
      },
    })
    for (let i = 1; i <= 3; i++) assert.equal((await send(ta, inPrefix(i))).statusCode, 200)
    const fourth = await send(ta, inPrefix(4))
    assert.equal(fourth.statusCode, 429)
    assert.equal(fourth.json().code, 'OTP_PREFIX_BLOCKED')
    assert.equal(fourth.json().retry_after, 7200)
    const again = await send(ta, inPrefix(1))
    assert.equal(again.json().code, 'OTP_PREFIX_BLOCKED')
    assert.ok(again.json().retry_after <= 7200)
    assert.equal((await send(ta, other(1))).statusCode, 200, 'other prefixes are not affected')
    assert.equal(ta.sms.sent.length, 4)

    const [block, ...rest] = await ta.app.stores.blocks.list()
    assert.equal(rest.length, 0)
    assert.equal(block?.prefix, '+998901234')
    assert.equal(block?.reason, 'volume')
    assert.equal(block?.created_by, 'auto')
    assert.match(block?.detail ?? '', /more than 3 codes in 3600 s/)
    assert.ok((block?.expires_at ?? 0) > Date.now() + 7100_000)
    assert.ok(ta.logs.messages().some((m) => m.startsWith('🚫 Prefix +998901234 blocked for 7200 s')))
  })

  test(name('a prefix whose codes are almost never verified is blocked (reason verify_rate)'), {
    skip: backend.skip,
  }, async (t) => {
    const env = {
      ...(await backend.env(t)),
      ...OPEN,
      PUMPING_MIN_SAMPLE: '3',
      PUMPING_MIN_VERIFY_RATE: '0.5',
    }
    const ta = await buildTestApp(t, { env })
    for (let i = 1; i <= 3; i++) assert.equal((await send(ta, inPrefix(i))).statusCode, 200)
    const res = await send(ta, inPrefix(4))
    assert.equal(res.json().code, 'OTP_PREFIX_BLOCKED')
    const [block] = await ta.app.stores.blocks.list()
    assert.equal(block?.reason, 'verify_rate')
    assert.match(block?.detail ?? '', /0 of 3 codes verified/)

    // A prefix whose users do type their codes in is left alone.
    for (let i = 1; i <= 5; i++) {
      assert.equal((await send(ta, other(i))).statusCode, 200)
      const ok = await post(ta.app, VERIFY, { phone: other(i), code: ta.sms.codeFor(other(i)) })
      assert.equal(ok.statusCode, 200)
    }
  })
}

test('blocks: list and remove, and an unblocked prefix is not re-blocked by the same counts', async (t) => {
  const ta = await buildTestApp(t, { env: { ...OPEN, PUMPING_MAX_CODES_PER_PREFIX: '2' } })
  const blocks = ta.app.stores.blocks
  await send(ta, inPrefix(1))
  await send(ta, inPrefix(2))
  assert.equal((await send(ta, inPrefix(3))).json().code, 'OTP_PREFIX_BLOCKED')
  await blocks.block({
    prefix: '+99893',
    reason: 'manual',
    detail: 'by hand',
    createdBy: 'ops',
    expiresAt: null,
  })
  await blocks.block({
    prefix: '+99877',
    reason: 'manual',
    detail: 'expired',
    createdBy: 'ops',
    expiresAt: Date.now() - 1,
  })
  assert.deepEqual((await blocks.list()).map((b) => b.prefix).sort(), ['+998901234', '+99893'])
  assert.equal((await blocks.list({ all: true })).length, 3)

  assert.equal(await blocks.remove('+998901234', 'test'), true)
  assert.equal(await blocks.remove('+998901234', 'test'), false, 'already removed')
  assert.equal(await blocks.remove('+99877', 'test'), false, 'expired blocks are not active')
  const removed = (await blocks.list({ all: true })).find((b) => b.prefix === '+998901234')
  assert.equal(removed?.removed_by, 'test')
  assert.ok(removed?.removed_at)
  for (let i = 3; i <= 6; i++)
    assert.equal((await send(ta, inPrefix(i))).statusCode, 200, `after removal ${i}`)
})

test('CLI: blocks list | remove, --help, one-line errors', async (t) => {
  const ta = await buildTestApp(t, { env: { ...OPEN, PUMPING_MAX_CODES_PER_PREFIX: '1' } })
  await send(ta, inPrefix(1))
  await send(ta, inPrefix(2))
  const env = { DATABASE_URL: `sqlite:${join(ta.dir, 'test.db')}`, LOG_FILE: '-' }
  // The CLI runs as another process, as operators run it. In this process its writes would wait for the
  // lock synchronously, holding the event loop, so a write of the service's open at that moment (a timer's:
  // the statistics, the key ring) could never commit, and the CLI would give up after its busy timeout.
  const cli = async (...argv: string[]) => {
    const r = await runCliProcess(argv, env)
    return { code: r.code, out: r.stdout, err: r.stderr }
  }
  const list = await cli('blocks', 'list')
  assert.equal(list.code, 0)
  assert.match(list.out, /^PREFIX\s+REASON\s+BLOCKED AT\s+UNTIL\s+STATUS\s+DETAIL$/m)
  assert.match(list.out, /^\+998901234\s+volume\s+\S+\s+\S+\s+active\s+more than 1 codes/m)
  const json = JSON.parse((await cli('blocks', 'list', '--json')).out)
  assert.equal(json[0].prefix, '+998901234')

  const removed = await cli('blocks', 'remove', '+998901234')
  assert.deepEqual(removed, { code: 0, out: 'Block of +998901234 removed.', err: '' })
  assert.equal((await cli('blocks', 'list')).out, 'No blocked prefixes.')
  assert.match((await cli('blocks', 'list', '--all')).out, /removed \S+ by cli/)
  assert.equal((await send(ta, inPrefix(3))).statusCode, 200, 'the running service sees the removal')

  const missing = await cli('blocks', 'remove', '+998901234')
  assert.deepEqual(missing, { code: 1, out: '', err: 'royal-taxi: no active block for +998901234' })
  assert.equal((await cli('blocks', 'remove')).code, 1)
  assert.equal((await cli('blocks', 'list', '--bogus')).err.split('\n')[0], "error: unknown option '--bogus'")
  assert.equal((await cli('nonsense')).err.split('\n')[0], "error: unknown command 'nonsense'")
  const help = await cli('blocks', '--help')
  assert.equal(help.code, 0)
  assert.match(help.out, /^ {2}list \[options\]/m)
  assert.match(help.out, /^ {2}remove <prefix>/m)
  const bad = await runCli(['blocks', 'list'], { env: { DATABASE_URL: 'mysql://nope' } })
  assert.match(bad.stderr, /^royal-taxi: invalid configuration: DATABASE_URL/)
  assert.equal(bad.code, 1)
})

test('a block made elsewhere (the CLI, another instance) is honoured within BLOCKS_REFRESH_MS; the table is not read per send', async (t) => {
  const ta = await buildTestApp(t, { env: OPEN })
  const blocks = ta.app.stores.blocks
  const current = t.mock.method(blocks, 'current')

  const sends = await Promise.all([1, 2, 3, 4, 5].map((i) => send(ta, inPrefix(i))))
  assert.deepEqual(
    sends.map((r) => r.statusCode),
    [200, 200, 200, 200, 200],
  )
  assert.equal(current.mock.callCount(), 1, 'five sends, one read of the blocks')

  const blockedAt = Date.now()
  await blocks.block({
    prefix: '+998901234',
    reason: 'manual',
    detail: 'from the CLI',
    createdBy: 'cli',
    expiresAt: null,
  })
  let refused = false
  while (!refused && Date.now() - blockedAt < BLOCKS_REFRESH_MS + 3000) {
    refused = (await send(ta, inPrefix(6))).json().code === 'OTP_PREFIX_BLOCKED'
    if (!refused) await new Promise((r) => setTimeout(r, 50))
  }
  assert.ok(refused, 'the block is honoured')
  assert.ok(
    Date.now() - blockedAt < BLOCKS_REFRESH_MS + 1000,
    'within the refresh interval (with a second of slack for a loaded machine)',
  )
  assert.equal((await send(ta, other(1))).statusCode, 200, 'other prefixes are not affected')
})

test('a block lifted in the admin console takes effect on the next send', async (t) => {
  const ta = await buildTestApp(t, { env: { ...OPEN, ...ADMIN_ENV } })
  const blocks = ta.app.stores.blocks
  await blocks.block({
    prefix: '+998901234',
    reason: 'manual',
    detail: '',
    createdBy: 'cli',
    expiresAt: null,
  })
  assert.equal((await send(ta, inPrefix(1))).json().code, 'OTP_PREFIX_BLOCKED')
  const lifted = await ta.app.inject({
    method: 'DELETE',
    url: '/api/v1/admin/blocks/%2B998901234',
    headers: auth,
  })
  assert.equal(lifted.statusCode, 204)
  assert.equal((await send(ta, inPrefix(1))).statusCode, 200)
})
