import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type test from 'node:test'
import type { Child } from '../../bench/processes.js'

/** An HTTP server in this process that answers every request with a small JSON object, as a bench target. */
export async function jsonServer(t: test.TestContext): Promise<Child> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end('{"ok":true}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pid: process.pid } as Child
}
