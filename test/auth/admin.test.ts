import t from 'tap'
import { memoryStore } from '../../lib/store/index.js'
import { ADMIN_KEY, bearer, build, createProject } from '../helpers/app.js'
import { buildAuth, FakeClock } from '../helpers/auth.js'

const admin = { 'x-admin-key': ADMIN_KEY }

t.test('projects and keys: create (key shown once), list, add a key, list metadata only, revoke', async (t) => {
  const { app } = await build(t)
  const created = await app.inject({ method: 'POST', url: '/v1/projects', headers: admin, payload: { name: 'alpha' } })
  t.equal(created.statusCode, 201)
  const project = created.json().data
  t.match(project, { projectId: String, name: 'alpha', apiKey: /^pulse_sk_/, keyId: String, createdAt: String })

  const listed = await app.inject({ url: '/v1/projects', headers: admin })
  t.equal(listed.statusCode, 200)
  t.same(listed.json().data, { projects: [{ projectId: project.projectId, name: 'alpha', createdAt: project.createdAt }], total: 1, limit: 50, offset: 0 })
  t.notOk(listed.body.includes(project.apiKey), 'the key is never listed')

  const second = await app.inject({ method: 'POST', url: `/v1/projects/${project.projectId}/keys`, headers: admin, payload: { name: 'ci' } })
  t.equal(second.statusCode, 201)
  const key2 = second.json().data
  t.match(key2, { keyId: String, apiKey: /^pulse_sk_/, prefix: /^pulse_sk_.{6}…$/ })
  t.ok(key2.apiKey.startsWith(key2.prefix.slice(0, -1)), 'the prefix is the start of the key')

  // Use the second key once so lastUsedAt is recorded.
  t.equal((await app.inject({ url: '/v1/me', headers: bearer(key2.apiKey) })).statusCode, 200)

  const keys = await app.inject({ url: `/v1/projects/${project.projectId}/keys`, headers: admin })
  t.equal(keys.statusCode, 200)
  const list = keys.json().data.keys as Array<Record<string, unknown>>
  t.equal(list.length, 2)
  for (const k of list) {
    t.same(Object.keys(k).filter((f) => !['keyId', 'prefix', 'name', 'createdAt', 'lastUsedAt', 'revokedAt'].includes(f)), [], 'metadata fields only')
  }
  t.ok(list.find((k) => k.keyId === key2.keyId)?.lastUsedAt, 'lastUsedAt recorded')
  t.notOk(keys.body.includes(project.apiKey) || keys.body.includes(key2.apiKey), 'no plaintext key in the list')
  t.notOk(/"hash"/.test(keys.body), 'no hash in the list')

  const revoked = await app.inject({ method: 'DELETE', url: `/v1/projects/${project.projectId}/keys/${key2.keyId}`, headers: admin })
  t.equal(revoked.statusCode, 200)
  t.match(revoked.json().data, { keyId: key2.keyId, revokedAt: String })

  t.equal((await app.inject({ method: 'POST', url: '/v1/projects/nope/keys', headers: admin, payload: {} })).statusCode, 404)
  t.equal((await app.inject({ url: '/v1/projects/nope/keys', headers: admin })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/projects/${project.projectId}/keys/nope`, headers: admin })).statusCode, 404)
})

t.test('a revoked key is refused on its very next use on this instance, though it was cached', async (t) => {
  const { app } = await build(t, { auth: { apiKeyCacheMs: 3_600_000 } })
  const { projectId, apiKey, keyId } = await createProject(app)
  t.equal((await app.inject({ url: '/v1/me', headers: bearer(apiKey) })).statusCode, 200, 'verified and cached')
  await app.inject({ method: 'DELETE', url: `/v1/projects/${projectId}/keys/${keyId}`, headers: admin })
  const after = await app.inject({ url: '/v1/me', headers: bearer(apiKey) })
  t.equal(after.statusCode, 401)
  t.equal(after.json().error.code, 'PULSE_UNAUTHORIZED')
})

t.test('across instances a revocation takes effect within apiKeyCacheMs, not later', async (t) => {
  const clock = new FakeClock()
  const store = memoryStore()
  const apiKeyCacheMs = 5000
  // Two instances over one store, as behind a load balancer.
  const { app: a } = await buildAuth(t, { store, auth: { apiKeyCacheMs, now: clock.now } })
  const { app: b } = await buildAuth(t, { store, auth: { apiKeyCacheMs, now: clock.now } })
  const { projectId, apiKey, keyId } = await createProject(a)
  const me = (app: typeof a) => app.inject({ url: '/v1/me', headers: bearer(apiKey) }).then((r) => r.statusCode)

  t.equal(await me(b), 200, 'instance B verifies the key and caches it')
  clock.advance(1000)
  t.equal((await a.inject({ method: 'DELETE', url: `/v1/projects/${projectId}/keys/${keyId}`, headers: admin })).statusCode, 200)
  t.equal(await me(a), 401, 'A, where it was revoked, refuses at once')
  clock.advance(apiKeyCacheMs - 1001)
  t.equal(await me(b), 200, 'B may still accept it until its cache entry ends (the documented bound)')
  clock.advance(1)
  t.equal(await me(b), 401, 'B refuses it apiKeyCacheMs after it last read the store')

  const fresh = await buildAuth(t, { store, auth: { apiKeyCacheMs: 0, now: clock.now } })
  t.equal(await me(fresh.app), 401, 'with apiKeyCacheMs: 0 every request reads the store')
})

t.test('admin routes: wrong, missing or non-admin credentials get 401; an API key is not an admin key', async (t) => {
  const { app } = await build(t)
  const { apiKey } = await createProject(app)
  for (const headers of [{}, { 'x-admin-key': 'wrong-admin-key-0123456789' }, { 'x-admin-key': ADMIN_KEY.slice(0, -1) }, bearer(apiKey), { 'x-admin-key': apiKey }]) {
    const res = await app.inject({ url: '/v1/projects', headers })
    t.equal(res.statusCode, 401, JSON.stringify(Object.keys(headers)))
    t.equal(res.json().error.code, 'PULSE_UNAUTHORIZED')
  }
})

t.test('with no admin key configured the admin routes answer 401, and the server says so at start', async (t) => {
  const { app, logs } = await buildAuth(t, { auth: { adminKey: undefined } })
  t.ok(logs.lines.some((l) => l.level === 40 && /no adminKey configured/.test(String(l.msg))), 'warned at start')
  for (const [method, url] of [['POST', '/v1/projects'], ['GET', '/v1/projects'], ['GET', '/v1/projects/x/keys'], ['POST', '/v1/projects/x/keys'], ['DELETE', '/v1/projects/x/keys/y']] as const) {
    const res = await app.inject({ method, url, headers: { 'x-admin-key': 'anything-at-all-0123456789' }, payload: method === 'POST' ? { name: 'n' } : undefined })
    t.equal(res.statusCode, 401, `${method} ${url}`)
    t.match(res.json().error.message, /admin API is disabled/)
  }
})
