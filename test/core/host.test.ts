import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { pulseProxy } from '../../plugins/pulse-proxy.js'
import { ADMIN_KEY } from '../helpers/app.js'

// A host with its own routes, hooks, error handler and 404 handler.
async function host (t: Test, mount: (app: FastifyInstance) => Promise<void>) {
  const app = Fastify()
  t.teardown(() => app.close())
  const seen: string[] = []
  app.addHook('onRequest', async (request, reply) => {
    seen.push(request.url)
    reply.header('x-host-hook', 'yes')
  })
  app.setErrorHandler((err, _request, reply) => reply.code(418).send({ hostError: (err as Error).message }))
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ hostNotFound: true }))
  app.get('/', async () => ({ hello: 'host' }))
  app.post('/echo', { schema: { body: { type: 'object', properties: { n: { type: 'string' } } } } }, async (request) => request.body)
  app.get('/fail', async () => { throw new Error('host failure') })
  await mount(app)
  await app.ready()
  return { app, seen }
}

async function assertHostUnchanged (t: Test, app: FastifyInstance) {
  const root = await app.inject({ url: '/' })
  t.same(root.json(), { hello: 'host' })
  t.equal(root.headers['x-host-hook'], 'yes')
  t.notOk(root.headers['x-request-id'], 'no pulse header on host routes')

  const fail = await app.inject({ url: '/fail' })
  t.equal(fail.statusCode, 418, 'the host error handler still handles host routes')
  t.same(fail.json(), { hostError: 'host failure' })

  const missing = await app.inject({ url: '/nothing/here' })
  t.same(missing.json(), { hostNotFound: true }, 'the host 404 handler still answers outside the prefix')

  // The host's own AJV settings (coercion) still apply to its routes.
  const echo = await app.inject({ method: 'POST', url: '/echo', payload: { n: 5 } })
  t.same(echo.json(), { n: '5' })

  const big = await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x'.repeat(200_000) } })
  t.equal(big.statusCode, 200, 'pulse bodyLimit does not apply to host routes')
}

t.test('registered at the root with the default prefix', async (t) => {
  const { app, seen } = await host(t, async (app) => {
    await app.register(pulseProxy, { adminKey: ADMIN_KEY, bodyLimit: 4096 })
  })
  await assertHostUnchanged(t, app)
  const health = await app.inject({ url: '/v1/health' })
  t.equal(health.statusCode, 200)
  t.equal(health.headers['x-host-hook'], 'yes', 'host hooks run for pulse routes, as Fastify encapsulation says')
  const notFound = await app.inject({ url: '/v1/nope' })
  t.equal(notFound.json().error.code, 'PULSE_NOT_FOUND', 'inside the prefix, 404s are envelopes')
  t.ok(seen.includes('/v1/health'))
})

t.test('registered inside a host prefix with a custom pulse prefix', async (t) => {
  const { app } = await host(t, async (app) => {
    await app.register(async (api) => {
      await api.register(pulseProxy, { adminKey: ADMIN_KEY, prefix: '/gateway', bodyLimit: 4096 })
    }, { prefix: '/llm' })
  })
  await assertHostUnchanged(t, app)
  t.equal((await app.inject({ url: '/llm/gateway/health' })).statusCode, 200)
  t.equal((await app.inject({ url: '/v1/health' })).json().hostNotFound, true, 'nothing at the default prefix')
  const inner = await app.inject({ url: '/llm/gateway/nope' })
  t.equal(inner.json().error.code, 'PULSE_NOT_FOUND')
  const created = await app.inject({ method: 'POST', url: '/llm/gateway/projects', headers: { 'x-admin-key': ADMIN_KEY }, payload: { name: 'p' } })
  t.equal(created.statusCode, 201)
})

t.test('registered with an empty prefix leaves the host 404 handler alone', async (t) => {
  const { app } = await host(t, async (app) => {
    await app.register(pulseProxy, { adminKey: ADMIN_KEY, prefix: '', bodyLimit: 4096 })
  })
  await assertHostUnchanged(t, app)
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)
})
