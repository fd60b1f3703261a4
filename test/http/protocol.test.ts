// Requests Node rejects below the router (a slow body, oversized or malformed headers, broken framing) and
// clients that go away, over raw sockets against a listening server.
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { type TestContext, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, type TestApp } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'

async function listening(
  t: TestContext,
  env: Record<string, string> = {},
): Promise<TestApp & { port: number }> {
  const ta = await buildTestApp(t, { env })
  await ta.app.listen({ host: '127.0.0.1', port: 0 })
  const address = ta.app.server.address()
  assert.ok(address && typeof address === 'object')
  return { ...ta, port: address.port }
}

/** Opens a connection; `response` is everything the server wrote, once it closed the connection. */
function open(port: number): { socket: Socket; response: Promise<string> } {
  const socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  const response = new Promise<string>((resolve) => {
    let data = ''
    socket.on('data', (d) => {
      data += d.toString('latin1')
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(data))
  })
  return { socket, response }
}

/** The status and parsed JSON body of a raw HTTP/1.1 response. */
function parse(raw: string): { status: number; body: { detail: string; code: string } } {
  const [head = '', body = ''] = raw.split('\r\n\r\n')
  const status = Number(head.split(' ')[1])
  return { status, body: JSON.parse(body) }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(20)
  assert.ok(check(), `never happened: ${what}`)
}

test('a body dripped slower than REQUEST_TIMEOUT_MS is cut with 408 REQUEST_TIMEOUT and our body', async (t) => {
  const ta = await listening(t, { REQUEST_TIMEOUT_MS: '1000' })
  const { socket, response } = open(ta.port)
  socket.write(
    `POST ${SEND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
  )
  // One byte every 100 ms, until the server hangs up.
  const drip = setInterval(() => socket.writable && socket.write(' '), 100)
  t.after(() => clearInterval(drip))
  const { status, body } = parse(await response)
  clearInterval(drip)
  assert.equal(status, 408)
  assert.equal(body.code, 'REQUEST_TIMEOUT')
  assert.equal(body.detail, "So'rov juda sekin yuborildi va to'xtatildi. Qayta urinib ko'ring.")
  assert.equal(ta.sms.sent.length, 0)
  // Cut by us, not the rider's fault nor a fault of ours: no error line.
  assert.ok(!ta.logs.lines.some((l) => l.level >= 50), ta.logs.text())
})

const PROTOCOL_ERRORS = [
  {
    name: 'oversized headers',
    raw: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    status: 431,
    code: 'HEADERS_TOO_LARGE',
  },
  {
    name: 'malformed chunked body',
    raw: `POST ${SEND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'conflicting Content-Length and Transfer-Encoding',
    raw: `POST ${SEND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'NUL in a header',
    raw: 'GET /health HTTP/1.1\r\nHost: x\r\nX-Evil: a\u0000b\r\n\r\n',
    status: 400,
    code: 'BAD_REQUEST',
  },
]

test('protocol-level errors are answered with {"detail", "code"}', async (t) => {
  const ta = await listening(t)
  for (const c of PROTOCOL_ERRORS) {
    const { socket, response } = open(ta.port)
    socket.write(Buffer.from(c.raw, 'latin1'))
    const raw = await response
    const { status, body } = parse(raw)
    assert.equal(status, c.status, `${c.name}: ${raw}`)
    assert.equal(body.code, c.code, c.name)
    assert.equal(typeof body.detail, 'string', c.name)
    assert.deepEqual(Object.keys(body), ['detail', 'code'], c.name)
  }
  assert.ok(!ta.logs.lines.some((l) => l.level >= 50), ta.logs.text())
})

test('a client that aborts mid-upload is logged at info, not error, and not counted as a 5xx', async (t) => {
  const ta = await listening(t)
  const { socket, response } = open(ta.port)
  socket.write(
    `POST ${SEND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"phone":`,
  )
  // Let the server start reading the body before the client goes.
  await sleep(100)
  socket.destroy()
  await response
  await until(() => ta.logs.messages().includes('request aborted by the client'), 'the abort logged')
  const line = ta.logs.lines.find((l) => l.msg === 'request aborted by the client')
  assert.equal(line?.level, 30)
  assert.ok(!ta.logs.lines.some((l) => l.level >= 50), ta.logs.text())
  assert.ok(!ta.logs.messages().some((m) => m.includes('SERVICE_UNAVAILABLE')))
  const metrics = (await ta.app.inject({ url: '/metrics' })).body
  assert.ok(!/status_code="5\d\d"/.test(metrics), 'no 5xx series')
})
