import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'
import { Keyring } from '../../lib/crypto.js'
import { memoryStore } from '../../lib/store/index.js'
import { sessionAad } from '../../plugins/auth/session.js'
import { authSessionsRepository } from '../../plugins/auth/store/index.js'
import { ADMIN_KEY, bearer, createProject } from '../helpers/app.js'
import { eachBackend } from '../helpers/backends.js'
import { buildAuth, errorShape, FakeClock, parseSetCookie, VAULT_KEY, type AuthBuildOptions } from '../helpers/auth.js'

const ORIGIN = 'https://app.example.test'
const PROVIDER_KEY = 'sk-proj-byok-0123456789abcdefghijklmnopqrstuvwxyz'

/** A host route that, like the proxy will, asks for the request's BYOK key. */
function byokProbe (app: FastifyInstance) {
  app.get('/v1-host/byok/:provider', {
    onRequest: (request, reply) => app.pulse.authenticate.call(app, request, reply)
  }, async (request) => {
    const { provider } = request.params as { provider: string }
    return { key: await app.pulse.auth.sessionProviderKey(request, provider), session: app.pulse.auth.session(request) }
  })
  // Another plugin's state-changing route, authenticated the same way.
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v1-host/write',
    onRequest: (request, reply) => app.pulse.authenticate.call(app, request, reply),
    handler: async () => ({ written: true })
  })
}

async function setup (t: Test, opts: AuthBuildOptions = {}) {
  const clock = new FakeClock()
  const built = await buildAuth(t, {
    ...opts,
    auth: { now: clock.now, session: { allowedOrigins: [ORIGIN] }, ...opts.auth },
    setup: async (app) => { byokProbe(app); await opts.setup?.(app) }
  })
  const { app } = built
  const project = await createProject(app)
  const login = async (apiKey = project.apiKey, body: Record<string, unknown> = { provider: 'openai', apiKey: PROVIDER_KEY }) => {
    const res = await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(apiKey), payload: body })
    return { res, cookie: parseSetCookie(res.headers['set-cookie']) }
  }
  const withCookie = (token: string, extra: Record<string, string> = {}) => ({ cookie: `pulse_session=${token}`, ...extra })
  return { ...built, clock, project, login, withCookie }
}

t.test('POST /auth/session sets an HttpOnly; Secure; SameSite=Strict cookie on the prefix, for 24 h', async (t) => {
  const { login, clock, project } = await setup(t)
  const { res, cookie } = await login()
  t.equal(res.statusCode, 201)
  t.equal(res.headers['cache-control'], 'no-store')
  t.ok(cookie)
  t.equal(cookie!.name, 'pulse_session')
  t.match(cookie!.value, /^[A-Za-z0-9_-]{43}$/, '32 random bytes')
  t.same(cookie!.attributes, { 'max-age': '86400', path: '/v1', httponly: true, secure: true, samesite: 'Strict' })
  t.same(res.json().data, {
    projectId: project.projectId,
    providers: ['openai'],
    createdAt: clock.now().toISOString(),
    expiresAt: new Date(clock.ms + 86_400_000).toISOString()
  })
  t.notOk(res.body.includes(cookie!.value), 'the token is only in the cookie')
  t.notOk(res.body.includes(PROVIDER_KEY))
})

t.test('the store holds the token\'s hash as id and the provider key sealed, bound to session + provider', async (t) => {
  const { app, login } = await setup(t)
  const { cookie } = await login()
  const token = cookie!.value
  const repo = await app.pulse.store.repository('authSessions', authSessionsRepository)
  const id = createHash('sha256').update(token).digest('hex')
  const record = await repo.get(id, new Date(0))
  t.ok(record, 'found under SHA-256(token)')
  const raw = JSON.stringify(record)
  t.notOk(raw.includes(token), 'no token in the store')
  t.notOk(raw.includes(PROVIDER_KEY), 'no plaintext provider key in the store')
  const sealed = record!.keys.openai!
  const keyring = new Keyring([VAULT_KEY])
  t.equal(keyring.open(sealed, sessionAad(id, 'openai')).plaintext, PROVIDER_KEY, 'sealed with the vault keyring')
  t.throws(() => keyring.open(sealed, sessionAad(id, 'anthropic')), { code: 'PULSE_VAULT_DECRYPT_FAILED' }, 'not as another provider')
  t.throws(() => keyring.open(sealed, sessionAad('0'.repeat(64), 'openai')), { code: 'PULSE_VAULT_DECRYPT_FAILED' }, 'not in another session')
})

t.test('the cookie acts as the principal, and the proxy can read its provider key', async (t) => {
  const { app, login, withCookie, project } = await setup(t)
  const { cookie } = await login()
  const me = await app.inject({ url: '/v1/me', headers: withCookie(cookie!.value) })
  t.equal(me.statusCode, 200)
  t.same(me.json().data, { projectId: project.projectId, via: 'session', keyId: project.keyId })

  const probe = await app.inject({ url: '/v1-host/byok/openai', headers: withCookie(cookie!.value) })
  t.equal(probe.statusCode, 200)
  t.equal(probe.json().key, PROVIDER_KEY)
  t.same(probe.json().session.providers, ['openai'])
  t.equal((await app.inject({ url: '/v1-host/byok/anthropic', headers: withCookie(cookie!.value) })).json().key, null, 'no key for another provider')
  const byKey = await app.inject({ url: '/v1-host/byok/openai', headers: bearer(project.apiKey) })
  t.same(byKey.json(), { key: null, session: null }, 'an API-key request has no session key, even from the same project')

  const session = await app.inject({ url: '/v1/auth/session', headers: withCookie(cookie!.value) })
  t.equal(session.statusCode, 200)
  t.same(session.json().data.providers, ['openai'])
})

t.test('CSRF: cookie-authenticated writes need an allowed Origin; reads and bearer writes do not', async (t) => {
  const { app, login, withCookie, project } = await setup(t)
  const { cookie } = await login()
  const add = (headers: Record<string, string>) => app.inject({
    method: 'POST', url: '/v1/auth/session', headers: withCookie(cookie!.value, headers), payload: { provider: 'anthropic', apiKey: 'sk-ant-second' }
  })
  for (const [name, headers] of Object.entries<Record<string, string>>({ 'no Origin': {}, 'other origin': { origin: 'https://evil.example.test' }, 'null origin': { origin: 'null' }, 'origin with a path-like suffix': { origin: `${ORIGIN}.evil.test` } })) {
    const res = await add(headers)
    t.equal(res.statusCode, 403, name)
    t.equal(res.json().error.code, 'PULSE_AUTH_ORIGIN_NOT_ALLOWED')
  }
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/auth/session', headers: withCookie(cookie!.value, { origin: 'https://evil.example.test' }) })).statusCode, 403, 'logout too')
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    t.equal((await app.inject({ method, url: '/v1-host/write', headers: withCookie(cookie!.value) })).statusCode, 403, `${method} on another plugin's route`)
    t.equal((await app.inject({ method, url: '/v1-host/write', headers: withCookie(cookie!.value, { origin: ORIGIN }) })).statusCode, 200, `${method} from the allowed origin`)
  }
  t.equal((await app.inject({ method: 'POST', url: '/v1-host/write', headers: { ...bearer(project.apiKey), origin: 'https://evil.example.test' } })).statusCode, 200,
    'bearer credentials are not ambient: no Origin check')
  t.equal((await app.inject({ url: '/v1/me', headers: withCookie(cookie!.value) })).statusCode, 200, 'GET needs no Origin')

  const ok = await add({ origin: ORIGIN })
  t.equal(ok.statusCode, 200, 'allowed origin: adds a key to the same session')
  t.equal(ok.headers['set-cookie'], undefined, 'no new cookie')
  t.same(ok.json().data.providers, ['anthropic', 'openai'])
  t.equal((await app.inject({ url: '/v1-host/byok/anthropic', headers: withCookie(cookie!.value) })).json().key, 'sk-ant-second')
})

t.test('DELETE /auth/session logs out: record deleted, cookie cleared, cookie refused afterwards', async (t) => {
  const { app, login, withCookie } = await setup(t)
  const { cookie } = await login()
  const out = await app.inject({ method: 'DELETE', url: '/v1/auth/session', headers: withCookie(cookie!.value, { origin: ORIGIN }) })
  t.equal(out.statusCode, 200)
  t.same(out.json().data, { loggedOut: true })
  const cleared = parseSetCookie(out.headers['set-cookie'])
  t.equal(cleared?.name, 'pulse_session')
  t.equal(cleared?.value, '')
  t.equal(cleared?.attributes.path, '/v1')
  t.ok(cleared?.attributes.expires !== undefined && new Date(String(cleared.attributes.expires)).getTime() < Date.now(), 'expired cookie')

  const repo = await app.pulse.store.repository('authSessions', authSessionsRepository)
  t.equal(await repo.get(createHash('sha256').update(cookie!.value).digest('hex'), new Date(0)), null, 'record gone')
  const after = await app.inject({ url: '/v1/me', headers: withCookie(cookie!.value) })
  t.equal(after.statusCode, 401)
  t.same(errorShape(after.body), errorShape((await app.inject({ url: '/v1/me' })).body), 'same 401 as no credentials')
})

t.test('an expired session is refused; ttlMs is configurable', async (t) => {
  const { app, login, withCookie, clock } = await setup(t, { auth: { session: { ttlMs: 3_600_000, allowedOrigins: [ORIGIN] } } })
  const { cookie, res } = await login()
  t.equal(cookie!.attributes['max-age'], '3600')
  t.equal(res.json().data.expiresAt, new Date(clock.ms + 3_600_000).toISOString())
  clock.advance(3_600_000 - 1)
  t.equal((await app.inject({ url: '/v1/me', headers: withCookie(cookie!.value) })).statusCode, 200, 'alive until the end')
  clock.advance(1)
  t.equal((await app.inject({ url: '/v1/me', headers: withCookie(cookie!.value) })).statusCode, 401, 'refused at expiresAt')
  t.equal((await app.inject({ url: '/v1-host/byok/openai', headers: withCookie(cookie!.value) })).statusCode, 401)
})

t.test('a malformed or unknown cookie gets the ordinary 401', async (t) => {
  const { app, withCookie } = await setup(t)
  const none = errorShape((await app.inject({ url: '/v1/me' })).body)
  for (const token of ['x', 'A'.repeat(43), '%%%']) {
    const res = await app.inject({ url: '/v1/me', headers: withCookie(token) })
    t.equal(res.statusCode, 401, token)
    t.same(errorShape(res.body), none)
  }
})

t.test('revoking the key that opened a session ends the session', async (t) => {
  const { app, login, withCookie, project } = await setup(t)
  const { cookie } = await login()
  await app.inject({ method: 'DELETE', url: `/v1/projects/${project.projectId}/keys/${project.keyId}`, headers: { 'x-admin-key': ADMIN_KEY } })
  t.equal((await app.inject({ url: '/v1/me', headers: withCookie(cookie!.value) })).statusCode, 401)
})

t.test('a key revoked on another instance cannot open a session there, though that instance still caches it', async (t) => {
  const store = memoryStore()
  const a = await setup(t, { store })
  const { app: b } = await buildAuth(t, { store, auth: { apiKeyCacheMs: 3_600_000 } })
  t.equal((await b.inject({ url: '/v1/me', headers: bearer(a.project.apiKey) })).statusCode, 200, 'cached on B')
  await a.app.inject({ method: 'DELETE', url: `/v1/projects/${a.project.projectId}/keys/${a.project.keyId}`, headers: { 'x-admin-key': ADMIN_KEY } })
  const res = await b.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(a.project.apiKey), payload: { provider: 'openai', apiKey: PROVIDER_KEY } })
  t.equal(res.statusCode, 401, 'a session outlives the cache, so it is opened only after a fresh check')
  t.equal(res.headers['set-cookie'], undefined)
})

t.test('bad bodies: 400 envelopes, nothing stored', async (t) => {
  const { login } = await setup(t, { auth: { session: { maxKeyLength: 64, allowedOrigins: [] } } })
  for (const body of [{ provider: 'openai' }, { provider: 'Open.AI', apiKey: 'k' }, { provider: 'openai', apiKey: '' }, { provider: 'openai', apiKey: 'k'.repeat(65) }]) {
    const { res, cookie } = await login(undefined, body)
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 60))
    t.equal(res.json().error.code, 'PULSE_VALIDATION')
    t.equal(cookie, undefined)
  }
})

t.test('session.secure: false drops Secure (plain-http development) and is refused in production', async (t) => {
  const { login } = await setup(t, { auth: { session: { secure: false } } })
  const { cookie } = await login()
  t.equal(cookie!.attributes.secure, undefined)
  t.equal(cookie!.attributes.httponly, true)
  await t.rejects(buildAuth(t, { core: { production: true }, auth: { session: { secure: false } } }), /option "auth\.session\.secure"/)
})

t.test('the cookie path follows the prefix pulse-proxy is mounted under', async (t) => {
  const { app } = await buildAuth(t, { core: { prefix: '/api' } })
  const { apiKey } = await createProject(app, 'p', '/api')
  const res = await app.inject({ method: 'POST', url: '/api/auth/session', headers: bearer(apiKey), payload: { provider: 'openai', apiKey: 'k' } })
  t.equal(parseSetCookie(res.headers['set-cookie'])?.attributes.path, '/api')
})

t.test('without pulse-vault, opening a session fails with a clear 500 envelope', async (t) => {
  const { app } = await buildAuth(t, { vault: false })
  const { apiKey } = await createProject(app)
  const res = await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(apiKey), payload: { provider: 'openai', apiKey: PROVIDER_KEY } })
  t.equal(res.statusCode, 500)
  t.match(res.json().error, { code: 'PULSE_AUTH_VAULT_MISSING', message: 'Internal server error' }, 'the code names the cause; the message of a 500 says nothing internal')
  t.equal(res.headers['set-cookie'], undefined)
})

t.test('a key sealed under a previous vault key still opens, and is re-sealed under the active one', async (t) => {
  const store = memoryStore()
  const first = await setup(t, { store })
  const { cookie } = await first.login()
  const { app } = await buildAuth(t, {
    store,
    auth: { now: first.clock.now },
    vault: { keys: ['rotated-vault-key-abcdefghijklmnopqrstuvwxyz', VAULT_KEY] },
    setup: byokProbe
  })
  const probe = await app.inject({ url: '/v1-host/byok/openai', headers: first.withCookie(cookie!.value) })
  t.equal(probe.json().key, PROVIDER_KEY)
  const repo = await app.pulse.store.repository('authSessions', authSessionsRepository)
  const id = createHash('sha256').update(cookie!.value).digest('hex')
  // The re-seal runs off the request path; give it its turn.
  await new Promise((resolve) => setImmediate(resolve))
  const sealed = (await repo.get(id, new Date(0)))!.keys.openai!
  t.equal(Keyring.keyIdOf(sealed), app.pulse.vault.keyring.activeKeyId)
})

t.test('the host keeps its own cookie behaviour', async (t) => {
  t.test('a host without @fastify/cookie gets no cookie parsing or setCookie from us', async (t) => {
    const { app, login } = await setup(t, {
      setup: (app) => {
        app.get('/host', async (request, reply) => ({
          cookies: (request as { cookies?: unknown }).cookies ?? null,
          setCookie: typeof (reply as { setCookie?: unknown }).setCookie
        }))
      }
    })
    t.equal((await login()).res.statusCode, 201, 'our cookie works')
    const res = await app.inject({ url: '/host', headers: { cookie: 'a=1' } })
    t.same(res.json(), { cookies: null, setCookie: 'undefined' })
    t.notOk(app.hasDecorator('parseCookie'))
  })

  t.test('a host with its own @fastify/cookie (signed cookies) keeps it, and sessions still work', async (t) => {
    const { app, login, withCookie } = await setup(t, {
      setup: async (app) => {
        await app.register(fastifyCookie, { secret: 'host-cookie-secret-0123456789' })
        app.get('/host/set', async (_request, reply) => reply.setCookie('host', 'v', { signed: true }).send({ ok: true }))
        app.get('/host/get', async (request) => ({ host: request.unsignCookie(request.cookies.host ?? '').value }))
      }
    })
    const set = await app.inject({ url: '/host/set' })
    const hostCookie = parseSetCookie(set.headers['set-cookie'])!
    t.equal(hostCookie.name, 'host')
    const got = await app.inject({ url: '/host/get', headers: { cookie: `host=${hostCookie.value}` } })
    t.same(got.json(), { host: 'v' })
    const { res, cookie } = await login()
    t.equal(res.statusCode, 201)
    t.equal((await app.inject({ url: '/v1/me', headers: withCookie(cookie!.value) })).json().data.via, 'session')
  })
})

t.test('open, use, add a key, log out: end to end on each store backend', async (t) => {
  eachBackend(t, async (t, backend) => {
    const { app, login, withCookie } = await setup(t, { store: backend.makeStore() })
    const { cookie } = await login()
    const headers = withCookie(cookie!.value, { origin: ORIGIN })
    t.equal((await app.inject({ url: '/v1-host/byok/openai', headers })).json().key, PROVIDER_KEY)
    const added = await app.inject({ method: 'POST', url: '/v1/auth/session', headers, payload: { provider: 'anthropic', apiKey: 'sk-ant-2' } })
    t.same(added.json().data.providers, ['anthropic', 'openai'])
    t.equal((await app.inject({ url: '/v1-host/byok/anthropic', headers })).json().key, 'sk-ant-2')
    t.equal((await app.inject({ method: 'DELETE', url: '/v1/auth/session', headers })).statusCode, 200)
    t.equal((await app.inject({ url: '/v1/me', headers })).statusCode, 401)
  })
})
