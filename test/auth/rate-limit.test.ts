import t from 'tap'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { ADMIN_KEY, bearer, createProject } from '../helpers/app.js'
import { buildAuth } from '../helpers/auth.js'

const BAD = bearer('pulse_sk_' + 'B'.repeat(43))

function hostRoutes (app: FastifyInstance) {
  app.get('/host', async () => ({ host: true }))
  // A host route that carries a rate-limit config but whose host never registered the plugin:
  // it must stay unlimited, or our registration leaked.
  app.get('/host/configured', { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => ({ host: true }))
}

t.test('failed authentications are limited per IP: 429 envelope with Retry-After, also for good credentials', async (t) => {
  const { app } = await buildAuth(t, { auth: { rateLimit: { max: 3, timeWindow: 60_000 } }, setup: hostRoutes })
  const { apiKey } = await createProject(app)
  const me = (headers: Record<string, string>, remoteAddress = '10.0.0.1') => app.inject({ url: '/v1/me', headers, remoteAddress })

  // Accepted once first: a key accepted moments ago is settled without a store read, and must still be refused below.
  t.equal((await me(bearer(apiKey))).statusCode, 200, 'the right key, before the failures')
  for (let i = 1; i <= 3; i++) t.equal((await me(BAD)).statusCode, 401, `failure ${i} of 3`)
  const limited = await me(BAD)
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { ok: false, error: { code: 'PULSE_RATE_LIMITED', retryable: true, correlationId: String } })
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`)

  t.equal((await me(bearer(apiKey))).statusCode, 429, 'a locked-out IP cannot try even a right key')
  t.equal((await me(bearer(apiKey), '10.0.0.2')).statusCode, 200, 'other IPs are unaffected')
  t.equal((await me(BAD, '10.0.0.2')).statusCode, 401)

  t.test('the host\'s routes are not limited, nor given rate-limit headers', async (t) => {
    for (let i = 0; i < 3; i++) {
      for (const url of ['/host', '/host/configured']) {
        const res = await app.inject({ url, remoteAddress: '10.0.0.1' })
        t.equal(res.statusCode, 200, url)
        t.notOk(Object.keys(res.headers).some((h) => h.startsWith('x-ratelimit') || h === 'retry-after'), `${url}: no rate-limit headers`)
      }
    }
    t.notOk(app.hasDecorator('rateLimit') || app.hasDecorator('createRateLimit'), 'no rate-limit decorator on the host')
  })
})

t.test('successful authentications do not count', async (t) => {
  const { app } = await buildAuth(t, { auth: { rateLimit: { max: 2 } } })
  const { apiKey } = await createProject(app)
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ url: '/v1/me', headers: bearer(apiKey) })).statusCode, 200)
  t.equal((await app.inject({ url: '/v1/me', headers: BAD })).statusCode, 401)
  t.equal((await app.inject({ url: '/v1/me', headers: BAD })).statusCode, 401)
  t.equal((await app.inject({ url: '/v1/me', headers: BAD })).statusCode, 429)
})

t.test('wrong admin keys count too, and lock the admin routes', async (t) => {
  const { app } = await buildAuth(t, { auth: { rateLimit: { max: 2 } } })
  const list = (key: string) => app.inject({ url: '/v1/projects', headers: { 'x-admin-key': key }, remoteAddress: '10.0.0.7' })
  t.equal((await list('guess-number-one-0123456789')).statusCode, 401)
  t.equal((await list('guess-number-two-0123456789')).statusCode, 401)
  t.equal((await list(ADMIN_KEY)).statusCode, 429, 'even the right admin key, once locked out')
  t.equal((await app.inject({ url: '/v1/projects', headers: { 'x-admin-key': ADMIN_KEY } })).statusCode, 200, 'from elsewhere it works')
})

t.test('auth.rateLimit.enabled: false turns it off', async (t) => {
  const { app } = await buildAuth(t, { auth: { rateLimit: { enabled: false, max: 1 } } })
  for (let i = 0; i < 6; i++) t.equal((await app.inject({ url: '/v1/me', headers: BAD })).statusCode, 401)
})

t.test('a host that registers @fastify/rate-limit itself keeps its limits, and ours still works', async (t) => {
  const { app } = await buildAuth(t, {
    auth: { rateLimit: { max: 2 } },
    setup: async (app) => {
      await app.register(rateLimit, { global: false })
      app.get('/host/limited', { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => ({ host: true }))
    }
  })
  t.equal((await app.inject({ url: '/host/limited' })).statusCode, 200)
  t.equal((await app.inject({ url: '/host/limited' })).statusCode, 429, 'the host\'s own limit applies as before')
  t.equal((await app.inject({ url: '/v1/me', headers: BAD })).statusCode, 401)
  t.equal((await app.inject({ url: '/v1/me', headers: BAD })).statusCode, 401)
  t.equal((await app.inject({ url: '/v1/me', headers: BAD })).statusCode, 429)
})
