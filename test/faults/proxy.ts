import { createConnection, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy between the app and PostgreSQL or Redis that a test can cut and restore, so the app meets real
 * connection failures (refused connects, connections dropped mid-query) without stopping the real server.
 */
export class TcpProxy {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  private port = 0
  /** Called with every chunk the app sends; returning true drops every connection at that moment. */
  cutWhen: ((chunk: Buffer) => boolean) | null = null

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  get listenPort(): number {
    return this.port
  }

  async start(): Promise<this> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort })
      this.sockets.add(client)
      this.sockets.add(upstream)
      client.on('data', (chunk) => {
        if (this.cutWhen?.(chunk)) {
          this.cutWhen = null
          this.dropConnections()
          return
        }
        upstream.write(chunk)
      })
      upstream.pipe(client)
      const close = () => {
        client.destroy()
        upstream.destroy()
        this.sockets.delete(client)
        this.sockets.delete(upstream)
      }
      client.on('close', close)
      upstream.on('close', close)
      client.on('error', close)
      upstream.on('error', close)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as { port: number }).port
    return this
  }

  private dropConnections(): void {
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
  }

  /** The database "goes away": open connections drop and new ones are refused. */
  async cut(): Promise<void> {
    const server = this.server
    this.server = null
    this.dropConnections()
    if (server) await new Promise<void>((r) => server.close(() => r()))
  }

  /** It "comes back" on the same address. */
  async restore(): Promise<void> {
    await this.start()
  }

  async stop(): Promise<void> {
    await this.cut()
  }
}

/** Polls `check` until it is true (at most `tries` times, `everyMs` apart); no timing is asserted. */
export async function eventually(
  check: () => Promise<boolean>,
  tries = 100,
  everyMs = 100,
): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, everyMs))
  }
  return false
}
