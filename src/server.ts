import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const app = await buildApp(config)
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then close the database and Redis.
  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info(`${signal ?? 'Shutdown'} received: no new connections`)
    const started = Date.now()
    await app.close()
    app.log.info(
      `Shut down in ${Date.now() - started} ms: in-flight requests finished, statistics written, database${config.redis ? ' and Redis' : ''} closed`,
    )
  })
  await app.listen({ port: config.http.port, host: config.http.host })
}

main().catch((err) => {
  console.error(`Could not start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
