import t from 'tap'
import { ADMIN_KEY, bearer, build, createProject } from '../helpers/app.js'
import { secretsRepository } from '../../plugins/vault/store/index.js'

const KEY = 'route-test-vault-key-0123456789abcdef'

async function setup (t: Parameters<typeof build>[0], vault = {}) {
  const built = await build(t, { vault: { keys: [KEY], ...vault } })
  const project = await createProject(built.app)
  return { ...built, project, auth: bearer(project.apiKey) }
}

t.test('PUT stores versions: a changed value is n+1, the same value is a no-op', async (t) => {
  const { app, project, auth } = await setup(t)
  const put = (value: string) => app.inject({ method: 'PUT', url: '/v1/secrets/provider.openai', headers: auth, payload: { value } })

  const first = await put('sk-first-value')
  t.equal(first.statusCode, 200)
  const d1 = first.json().data
  t.match(d1, { name: 'provider.openai', version: 1, changed: true })
  t.match(d1.fingerprint, /^[0-9a-f]{8}$/, 'only a short fingerprint tail')
  t.ok(Date.parse(d1.createdAt) && Date.parse(d1.updatedAt))
  t.same(Object.keys(d1).sort(), ['changed', 'createdAt', 'fingerprint', 'name', 'updatedAt', 'version'])

  const again = (await put('sk-first-value')).json().data
  t.same(again, { ...d1, changed: false }, 'same value: same version, nothing written')

  const second = (await put('sk-second-value')).json().data
  t.match(second, { version: 2, changed: true })
  t.not(second.fingerprint, d1.fingerprint)

  const back = (await put('sk-first-value')).json().data
  t.match(back, { version: 3, changed: true }, 'going back to an old value is a change from the latest')

  t.equal(await app.pulse.vault.resolve(project.projectId, 'provider.openai'), 'sk-first-value', 'resolve gives the latest')
  t.equal(await app.pulse.vault.providerKey(project.projectId, 'openai'), 'sk-first-value', 'provider keys are provider.<name>')
  t.equal(await app.pulse.vault.providerKey(project.projectId, 'anthropic'), null)

  const repo = await app.pulse.store.repository('secrets', secretsRepository)
  const versions = await repo.versions(project.projectId, 'provider.openai')
  t.same(versions.map((v) => v.version), [1, 2, 3])
  t.notOk(JSON.stringify(versions).includes('sk-first-value'), 'the store holds no plaintext')
})

t.test('GET lists metadata only; DELETE removes, then 404s', async (t) => {
  const { app, auth } = await setup(t)
  for (const [name, value] of [['b-secret', 'value-b'], ['a-secret', 'value-a'], ['b-secret', 'value-b2']] as const) {
    await app.inject({ method: 'PUT', url: `/v1/secrets/${name}`, headers: auth, payload: { value } })
  }
  const list = await app.inject({ url: '/v1/secrets', headers: auth })
  t.equal(list.statusCode, 200)
  const { secrets } = list.json().data
  t.same(secrets.map((s: { name: string, version: number }) => [s.name, s.version]), [['a-secret', 1], ['b-secret', 2]])
  t.notMatch(list.body, /value-/, 'no values in the listing')
  t.notOk(secrets.some((s: Record<string, unknown>) => 'value' in s || 'ciphertext' in s))

  const del = await app.inject({ method: 'DELETE', url: '/v1/secrets/b-secret', headers: auth })
  t.equal(del.statusCode, 200)
  t.same(del.json().data, { name: 'b-secret', deleted: true })
  const gone = await app.inject({ method: 'DELETE', url: '/v1/secrets/b-secret', headers: auth })
  t.equal(gone.statusCode, 404)
  t.match(gone.json(), { ok: false, error: { code: 'PULSE_NOT_FOUND' } })
  t.same((await app.inject({ url: '/v1/secrets', headers: auth })).json().data.secrets.map((s: { name: string }) => s.name), ['a-secret'])
})

t.test('bad names, bad bodies and oversized values get 400 envelopes that do not echo the value', async (t) => {
  const { app, auth } = await setup(t, { maxValueLength: 64 })
  const cases: Array<[string, string, unknown]> = [
    ['name with a space', '/v1/secrets/has%20space', { value: 'secret-value-1' }],
    ['name starting with a dot', '/v1/secrets/.hidden', { value: 'secret-value-1' }],
    ['name with a slash', '/v1/secrets/a%2Fb', { value: 'secret-value-1' }],
    ['empty value', '/v1/secrets/ok', { value: '' }],
    ['value too long', '/v1/secrets/ok', { value: 'secret-value-' + 'x'.repeat(60) }],
    ['value not a string', '/v1/secrets/ok', { value: { nested: 'secret-value-1' } }],
    ['no value', '/v1/secrets/ok', {}]
  ]
  for (const [what, url, payload] of cases) {
    const res = await app.inject({ method: 'PUT', url, headers: auth, payload: payload as Record<string, unknown> })
    t.equal(res.statusCode, 400, what)
    t.match(res.json(), { ok: false, error: { code: 'PULSE_VALIDATION', retryable: false } }, what)
    t.notMatch(res.body, /secret-value/, `${what}: the value is not echoed`)
  }
  const fits = await app.inject({ method: 'PUT', url: '/v1/secrets/ok', headers: auth, payload: { value: 'x'.repeat(64) } })
  t.equal(fits.statusCode, 200, 'exactly the limit fits')
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/secrets/.hidden', headers: auth })).statusCode, 400)
  await t.rejects(app.pulse.vault.put('p', 'bad name', 'v'), { code: 'PULSE_VALIDATION' }, 'the service checks names too')
  await t.rejects(app.pulse.vault.put('p', 'n'.repeat(101), 'v'), { code: 'PULSE_VALIDATION' }, 'names are at most 100 characters')
  const longest = await app.inject({ method: 'PUT', url: `/v1/secrets/${'n'.repeat(100)}`, headers: auth, payload: { value: 'v' } })
  t.equal(longest.statusCode, 200, 'a 100-character name is routable')
  await t.rejects(app.pulse.vault.put('p', 'ok', 'x'.repeat(65)), { code: 'PULSE_VALIDATION', message: /64/ }, 'and sizes')
})

t.test('without credentials every vault route answers 401; admin routes need the admin key', async (t) => {
  const { app, auth } = await setup(t)
  for (const [method, url] of [['PUT', '/v1/secrets/x'], ['GET', '/v1/secrets'], ['DELETE', '/v1/secrets/x']] as const) {
    const res = await app.inject({ method, url, payload: method === 'PUT' ? { value: 'v' } : undefined })
    t.equal(res.statusCode, 401, `${method} ${url}`)
  }
  for (const [method, url] of [['GET', '/v1/vault/status'], ['POST', '/v1/vault/rotate']] as const) {
    t.equal((await app.inject({ method, url, headers: auth })).statusCode, 401, `${method} ${url} with a project key`)
    t.equal((await app.inject({ method, url, headers: { 'x-admin-key': ADMIN_KEY } })).statusCode, 200, `${method} ${url} as admin`)
  }
})

t.test('tenant isolation: every vault route, called with a second project\'s key, finds nothing of the first', async (t) => {
  // Every project-scoped vault route the plugin registers, to check the table covers them all.
  const registered: string[] = []
  const { app } = await build(t, { vault: { keys: [KEY] } }, (host) => {
    host.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      if (route.url.startsWith('/v1/secrets') && route.config?.auth !== 'admin' && !methods.includes('HEAD')) {
        for (const m of methods) registered.push(`${m} ${route.url.slice(3)}`)
      }
    })
  })
  const a = await createProject(app)
  const authA = bearer(a.apiKey)
  const b = await createProject(app, 'other')
  const authB = bearer(b.apiKey)
  await app.inject({ method: 'PUT', url: '/v1/secrets/shared-name', headers: authA, payload: { value: 'a-secret-value' } })
  await app.inject({ method: 'PUT', url: '/v1/secrets/a-only', headers: authA, payload: { value: 'a-only-value' } })
  const snapshot = async () => (await app.inject({ url: '/v1/secrets', headers: authA })).json().data.secrets

  const before = await snapshot()
  const routes: Array<{ route: string, method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object, expect: (res: Awaited<ReturnType<typeof app.inject>>) => void }> = [
    {
      route: 'GET /secrets',
      method: 'GET',
      url: '/v1/secrets',
      expect: (res) => { t.equal(res.statusCode, 200); t.same(res.json().data.secrets, [], 'B sees none of A\'s secrets') }
    },
    {
      route: 'DELETE /secrets/:name',
      method: 'DELETE',
      url: '/v1/secrets/a-only',
      expect: (res) => { t.equal(res.statusCode, 404); t.equal(res.json().error.code, 'PULSE_NOT_FOUND') }
    },
    {
      route: 'PUT /secrets/:name',
      method: 'PUT',
      url: '/v1/secrets/shared-name',
      payload: { value: 'b-value' },
      // Writing the same name creates B's own secret (version 1), not A's version 2.
      expect: (res) => { t.equal(res.statusCode, 200); t.match(res.json().data, { version: 1, changed: true }) }
    }
  ]
  for (const r of routes) {
    t.test(r.route, async () => {
      const res = await app.inject({ method: r.method, url: r.url, headers: authB, ...(r.payload ? { payload: r.payload } : {}) })
      r.expect(res)
      t.notMatch(res.body, /a-secret-value|a-only-value/)
    })
  }
  t.test('every project-scoped vault route is in the table', async (t) => {
    t.ok(registered.length >= 3)
    t.same([...registered].sort(), routes.map((r) => r.route).sort())
  })
  t.test('A is untouched', async (t) => {
    t.same(await snapshot(), before)
    t.equal(await app.pulse.vault.resolve(a.projectId, 'shared-name'), 'a-secret-value')
    t.equal(await app.pulse.vault.resolve(b.projectId, 'a-only'), null)
    t.equal(await app.pulse.vault.resolve(b.projectId, 'shared-name'), 'b-value')
  })
})
