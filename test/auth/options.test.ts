import t from 'tap'
import { build, createProject, bearer } from '../helpers/app.js'

t.test('the umbrella validates auth options and names the bad one', async (t) => {
  await t.rejects(build(t, { auth: { session: { ttlMs: 10 } } }), /option "auth\.session\.ttlMs"/)
  await t.rejects(build(t, { auth: { rateLimit: { max: 0 } } }), /option "auth\.rateLimit\.max"/)
  await t.rejects(build(t, { auth: { session: { allowedOrigins: ['https://app.example.test/path'] } } }), /option "auth\.session\.allowedOrigins\[0\]"/)
  await t.rejects(build(t, { auth: { nope: true } } as never), /option "auth\.nope" is not a known option/)
  await t.rejects(build(t, { auth: { devHeader: 'X Bad' } }), /option "auth\.devHeader"/)
})

t.test('the umbrella passes the new auth options through', async (t) => {
  const { app } = await build(t, { auth: { devAuth: true, devHeader: 'x-dev-project', session: { cookieName: 'byok', secure: false }, rateLimit: { enabled: false } } })
  const { projectId, apiKey } = await createProject(app)
  const me = await app.inject({ url: '/v1/me', headers: { 'x-dev-project': projectId } })
  t.same(me.json().data, { projectId, via: 'dev' })
  const login = await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(apiKey), payload: { provider: 'openai', apiKey: 'sk-x' } })
  t.match(String(login.headers['set-cookie']), /^byok=[A-Za-z0-9_-]{43};/)
  t.notMatch(String(login.headers['set-cookie']), /Secure/)
})

t.test('OpenAPI publishes the auth routes with their security schemes', async (t) => {
  const { app } = await build(t)
  const doc = (await app.inject({ url: '/v1/openapi.json' })).json()
  t.ok(doc.components.securitySchemes.sessionCookie, 'session cookie scheme')
  t.same(doc.paths['/v1/auth/session'].post.security, [{ bearer: [] }, { sessionCookie: [] }])
  t.ok(doc.paths['/v1/auth/session'].delete)
  t.same(doc.paths['/v1/projects'].post.security, [{ adminKey: [] }])
  const referenced = new Set<string>()
  for (const ops of Object.values(doc.paths as Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>)) {
    for (const op of Object.values(ops)) for (const req of op.security ?? []) for (const k of Object.keys(req)) referenced.add(k)
  }
  for (const name of referenced) t.ok(doc.components.securitySchemes[name], `scheme ${name} is defined`)
})
