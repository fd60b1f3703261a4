import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { GATEWAY_CONNECTIONS, gatewayFetch } from '../../src/channels/fetch.js'

// A gateway that slows down must not get one more socket for every message sent meanwhile: the pool holds
// at most GATEWAY_CONNECTIONS per gateway, and the messages beyond it wait for a free one.
test('a slow gateway gets at most GATEWAY_CONNECTIONS sockets; the messages beyond them wait, then go', async (t) => {
  let open = 0
  let maxOpen = 0
  let accepted = 0
  const server = createServer((_req, res) => {
    setTimeout(() => res.end('{"id":"m"}'), 300)
  })
  server.on('connection', (socket) => {
    accepted++
    maxOpen = Math.max(maxOpen, ++open)
    socket.on('close', () => open--)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`
  const messages = GATEWAY_CONNECTIONS + 88
  const started = performance.now()
  const answers = await Promise.all(
    Array.from({ length: messages }, () =>
      gatewayFetch('slow', url, { method: 'POST', body: '{}' }, AbortSignal.timeout(5000), 5000),
    ),
  )
  const took = performance.now() - started
  assert.equal(answers.filter((a) => a.status === 200).length, messages)
  assert.equal(maxOpen, GATEWAY_CONNECTIONS)
  assert.equal(accepted, GATEWAY_CONNECTIONS, 'the sockets were kept alive and reused')
  // Two rounds of 300 ms: the last 88 waited for a socket instead of opening one.
  assert.ok(took >= 600, `${took} ms`)
})
