import t from 'tap'
import { ADMIN_KEY, bearer, createProject } from '../helpers/app.js'
import { buildAuth, FakeClock } from '../helpers/auth.js'
import { assertEveryRouteWalked, recordRoutes, walkTenantIsolation, type IsolationCase } from '../helpers/isolation.js'
import { JwksServer, signingKey, signToken } from '../helpers/jwks.js'

const ORIGIN = 'https://app.example.test'
const ISS = 'https://issuer.test'
const AUD = 'pulse-test'
const OWNER_PROVIDER_KEY = 'sk-owner-provider-key-0123456789abcdef'

/** Auth's non-admin routes: what a project's own credentials reach. */
const isAuthProjectRoute = (r: { route: string, auth: string, pulse: boolean }) =>
  r.pulse && r.auth === 'project' && /^[A-Z]+ \/v1\/(me|auth\/)/.test(r.route)

t.test('auth routes with a second project\'s credentials: 404 or its own data, never the first project\'s', async (t) => {
  let routes: () => ReturnType<ReturnType<typeof recordRoutes>> = () => []
  const k1 = await signingKey('k1')
  const jwks = await JwksServer.start(t, [k1])
  const clock = new FakeClock(Date.now())
  const { app } = await buildAuth(t, {
    auth: { now: clock.now, session: { allowedOrigins: [ORIGIN] }, jwt: { jwksUrl: jwks.url, issuer: ISS, audience: AUD } },
    setup: (app) => { routes = recordRoutes(app) }
  })
  const owner = await createProject(app, 'owner project')
  const intruder = await createProject(app, 'intruder project')

  const login = await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(owner.apiKey), payload: { provider: 'openai', apiKey: OWNER_PROVIDER_KEY } })
  t.equal(login.statusCode, 201)
  const ownerCookie = `pulse_session=${/pulse_session=([^;]+)/.exec(String(login.headers['set-cookie']))![1]}`
  const ownerSession = async () => app.inject({ url: '/v1/auth/session', headers: { cookie: ownerCookie } })
  const ownerStillIntact = async (t: Parameters<NonNullable<IsolationCase['after']>>[0]) => {
    const res = await ownerSession()
    t.equal(res.statusCode, 200, 'the owner\'s session is still alive')
    t.same(res.json().data.providers, ['openai'], 'and unchanged')
  }

  const cases: IsolationCase[] = [
    {
      route: 'GET /v1/me',
      request: { url: '/v1/me', headers: { cookie: ownerCookie } },
      expect: (t, res) => {
        t.equal(res.statusCode, 200)
        t.equal(res.json().data.projectId, intruder.projectId, 'the intruder is itself, whatever cookie it carries')
      }
    },
    {
      route: 'GET /v1/auth/session',
      request: { url: '/v1/auth/session', headers: { cookie: ownerCookie } }
    },
    {
      route: 'DELETE /v1/auth/session',
      request: { method: 'DELETE', url: '/v1/auth/session', headers: { cookie: ownerCookie, origin: ORIGIN } },
      after: ownerStillIntact
    },
    {
      route: 'POST /v1/auth/session',
      request: { method: 'POST', url: '/v1/auth/session', headers: { cookie: ownerCookie, origin: ORIGIN }, payload: { provider: 'openai', apiKey: 'sk-intruder' } },
      expect: (t, res) => {
        t.equal(res.statusCode, 201, 'opens the intruder\'s own session')
        t.equal(res.json().data.projectId, intruder.projectId)
      },
      after: ownerStillIntact
    }
  ]
  assertEveryRouteWalked(t, routes(), cases, isAuthProjectRoute)

  const ownerSecrets = [owner.projectId, owner.apiKey, owner.keyId, OWNER_PROVIDER_KEY, 'owner project']
  const jwt = await signToken(k1, { project_id: intruder.projectId, sub: 'mallory' }, { iss: ISS, aud: AUD })
  for (const [kind, credentials] of Object.entries({ 'API key': bearer(intruder.apiKey), JWT: bearer(jwt) })) {
    await t.test(`intruder with a ${kind}`, (t) => walkTenantIsolation(t, { app, intruder: credentials, ownerSecrets, cases }))
  }
})

t.test('within a project, one JWT user\'s session is not found for another user', async (t) => {
  const k1 = await signingKey('k1')
  const jwks = await JwksServer.start(t, [k1])
  const { app } = await buildAuth(t, { auth: { jwt: { jwksUrl: jwks.url, issuer: ISS, audience: AUD } } })
  const { projectId } = await createProject(app)
  const as = (sub: string) => signToken(k1, { project_id: projectId, sub }, { iss: ISS, aud: AUD }).then(bearer)
  const login = await app.inject({ method: 'POST', url: '/v1/auth/session', headers: await as('alice'), payload: { provider: 'openai', apiKey: 'sk-alice' } })
  t.equal(login.statusCode, 201)
  t.equal(login.json().data.userId, 'alice')
  const cookie = String(login.headers['set-cookie']).split(';')[0]!
  t.equal((await app.inject({ url: '/v1/auth/session', headers: { ...await as('alice'), cookie } })).statusCode, 200)
  t.equal((await app.inject({ url: '/v1/auth/session', headers: { ...await as('bob'), cookie } })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/auth/session', headers: { ...await as('bob'), cookie } })).statusCode, 404)
})

t.test('admin routes scope keys to the project in the path', async (t) => {
  const { app } = await buildAuth(t)
  const a = await createProject(app, 'a')
  const b = await createProject(app, 'b')
  const admin = { 'x-admin-key': ADMIN_KEY }
  const revoke = await app.inject({ method: 'DELETE', url: `/v1/projects/${a.projectId}/keys/${b.keyId}`, headers: admin })
  t.equal(revoke.statusCode, 404, 'B\'s key under A\'s path is not found')
  t.equal((await app.inject({ url: '/v1/me', headers: bearer(b.apiKey) })).statusCode, 200, 'and not revoked')
  const keys = await app.inject({ url: `/v1/projects/${a.projectId}/keys`, headers: admin })
  t.same(keys.json().data.keys.map((k: { keyId: string }) => k.keyId), [a.keyId], 'A\'s list holds A\'s keys only')
})
