// A stand-in for api.twilio.com that answers Messages.create like Twilio does, after a fixed delay (5 ms by
// default), and counts the TCP connections it accepted: with keep-alive a whole benchmark run should need
// about as many connections as requests in flight, not one per message.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'

const delayMs = Number(process.argv[2] ?? 5)
let connections = 0
let messages = 0

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const match = req.url?.match(/^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/)
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 20404, message: 'The requested resource was not found', status: 404 }))
      return
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString())
    setTimeout(() => {
      messages++
      const now = new Date().toUTCString()
      const sid = `SM${randomBytes(16).toString('hex')}`
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          account_sid: match[1],
          api_version: '2010-04-01',
          body: form.get('Body'),
          date_created: now,
          date_sent: null,
          date_updated: now,
          direction: 'outbound-api',
          error_code: null,
          error_message: null,
          from: form.get('From'),
          messaging_service_sid: form.get('MessagingServiceSid'),
          num_media: '0',
          num_segments: '1',
          price: null,
          price_unit: 'USD',
          sid,
          status: 'queued',
          subresource_uris: {},
          to: form.get('To'),
          uri: `/2010-04-01/Accounts/${match[1]}/Messages/${sid}.json`,
        }),
      )
    }, delayMs)
  })
})
server.keepAliveTimeout = 60_000
server.on('connection', () => connections++)
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  process.send?.({ ready: `http://127.0.0.1:${port}` })
})
process.on('message', (msg: { stats?: boolean }) => {
  if (msg.stats) process.send?.({ stats: { connections, messages } })
})
