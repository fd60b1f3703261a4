// The ceiling: a bare Fastify 5 route that parses the same JSON body the service's send-otp takes and answers
// a small JSON object. No logging, no validation, no storage: what this machine's HTTP stack can do at best.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.post('/ceiling', async (request) => {
  const { phone } = request.body as { phone: string }
  return { ok: true, phone }
})
const address = await app.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' })
process.send?.({ ready: address })
