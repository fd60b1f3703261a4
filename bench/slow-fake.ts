// A generic HTTP SMS gateway (HTTP_SMS_URL) that answers each message after 300 ms to 3 s: the delay is
// drawn from the number (`gatewayDelayMs`), so the benchmark knows what the gateway cost each send. It keeps
// each number's code, for the sign-ins the benchmark prepares, and counts its connections: accepted in
// all, and open at most at once.
import { createServer } from 'node:http'
import { gatewayDelayMs } from './slow-gateway.js'

const minMs = Number(process.argv[2] ?? 300)
const maxMs = Number(process.argv[3] ?? 3000)
const codes = new Map<string, string>()
let connections = 0
let open = 0
let maxOpen = 0
let messages = 0

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const { to, text } = JSON.parse(Buffer.concat(chunks).toString()) as { to: string; text: string }
    const code = text.match(/\d{4,10}/)?.[0]
    if (code) codes.set(to, code)
    setTimeout(
      () => {
        messages++
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ id: `m${messages}` }))
      },
      gatewayDelayMs(to, minMs, maxMs),
    )
  })
})
server.keepAliveTimeout = 60_000
server.on('connection', (socket) => {
  connections++
  maxOpen = Math.max(maxOpen, ++open)
  socket.on('close', () => open--)
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  process.send?.({ ready: `http://127.0.0.1:${port}` })
})
process.on('message', (msg: { stats?: boolean; codes?: string[] }) => {
  if (msg.stats) process.send?.({ stats: { connections, maxOpen, messages } })
  if (msg.codes) process.send?.({ codes: msg.codes.map((phone) => codes.get(phone) ?? null) })
})
