// Registering pulse-proxy into an app that already has its own routes, hooks and error handler.
import Fastify from 'fastify'
import { memoryStore, pulseProxy } from '../index.js'

const app = Fastify({ logger: true })

// The host's own things stay exactly as they are.
app.get('/', async () => ({ hello: 'from the host' }))
app.setErrorHandler((err, _request, reply) => reply.code(500).send({ hostError: (err as Error).message }))

// Everything pulse-proxy serves lives under /llm/v1 here.
await app.register(async (api) => {
  await api.register(pulseProxy, {
    store: memoryStore(),
    prefix: '/v1',
    adminKey: process.env.PULSE_ADMIN_KEY ?? 'change-me-to-a-long-random-admin-key'
  })
}, { prefix: '/llm' })

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
