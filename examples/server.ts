import Fastify from 'fastify'
import { memoryStore, mongoStore, pulseProxy } from '../index.js'
import { loadConfig } from './config.js'

const config = loadConfig()
const app = Fastify({
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  // Finish in-flight requests on shutdown, but do not wait forever for idle keep-alive sockets.
  forceCloseConnections: 'idle'
})

await app.register(pulseProxy, {
  store: config.mongodbUrl ? mongoStore({ url: config.mongodbUrl }) : memoryStore(),
  adminKey: config.adminKey,
  vault: { keys: config.encryptionKeys },
  auth: {
    ...(config.jwt ? { jwt: config.jwt } : {}),
    devAuth: config.devAuth,
    session: { allowedOrigins: config.sessionOrigins }
  },
  // PULSE_MOCK_PROVIDER=1 adds `mock` (pulse-proxy refuses it in production).
  providers: config.providers,
  traces: { traceRetentionDays: config.traceRetentionDays }
})

for (const [name, value] of Object.entries(config.generated)) {
  // Printed to the terminal once, never logged: the logs may be shipped elsewhere.
  process.stdout.write(`generated ${name}=${value} (set it in the environment to keep it across restarts)\n`)
}

let closing = false
async function shutdown (signal: string) {
  if (closing) return
  closing = true
  app.log.info({ signal }, 'shutting down: finishing in-flight requests')
  const force = setTimeout(() => {
    app.log.error('shutdown took longer than 10 s; exiting')
    process.exit(1)
  }, 10_000)
  force.unref()
  await app.close()
  process.exit(0)
}
process.once('SIGINT', () => { shutdown('SIGINT').catch((err) => { app.log.error({ err }, 'shutdown failed'); process.exit(1) }) })
process.once('SIGTERM', () => { shutdown('SIGTERM').catch((err) => { app.log.error({ err }, 'shutdown failed'); process.exit(1) }) })

const address = await app.listen({ port: config.port, host: config.host })
app.log.info(`pulse-proxy listening on ${address}/v1 (store: ${app.pulse.store.kind})`)
