import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { bearer, build, createProject } from '../helpers/app.js'
import { buildAuth, errorShape, FakeClock } from '../helpers/auth.js'
import { JwksServer, signingKey, signToken, unsignedToken } from '../helpers/jwks.js'

const ISS = 'https://issuer.test'
const AUD = 'pulse-test'

async function setup (t: Test, jwt: Record<string, unknown> = {}) {
  const clock = new FakeClock(Date.now())
  const k1 = await signingKey('k1', 'RS256')
  const jwks = await JwksServer.start(t, [k1])
  const { app, logs } = await buildAuth(t, {
    auth: { now: clock.now, jwt: { jwksUrl: jwks.url, issuer: ISS, audience: AUD, ...jwt } }
  })
  const { projectId, apiKey } = await createProject(app)
  const sec = () => Math.floor(clock.ms / 1000)
  const token = (claims: Record<string, unknown> = {}, o: Parameters<typeof signToken>[2] = {}, key = k1) =>
    signToken(key, { project_id: projectId, sub: 'user-1', ...claims }, { iss: ISS, aud: AUD, iat: sec(), exp: sec() + 600, ...o })
  const me = (tok: string) => app.inject({ url: '/v1/me', headers: bearer(tok) })
  return { app, logs, clock, k1, jwks, projectId, apiKey, token, me, sec }
}

t.test('a valid token authenticates as its project and user (via jwt)', async (t) => {
  const { projectId, token, me } = await setup(t)
  const res = await me(await token())
  t.equal(res.statusCode, 200)
  t.same(res.json().data, { projectId, via: 'jwt', userId: 'user-1' })
})

t.test('refused tokens: all 401, all the same envelope as no credentials at all', async (t) => {
  const { app, clock, k1, token, me, sec, projectId } = await setup(t)
  const stranger = await signingKey('k1', 'RS256') // same kid, other key: a forged signature
  const es = await signingKey('k9', 'ES256')
  const valid = await token()
  const [h, p] = valid.split('.')
  const cases: Record<string, string> = {
    'wrong issuer': await token({}, { iss: 'https://evil.test' }),
    'wrong audience': await token({}, { aud: 'someone-else' }),
    'bad signature': await token({}, {}, stranger),
    'tampered payload': `${h}.${Buffer.from(JSON.stringify({ project_id: projectId, sub: 'admin', iss: ISS, aud: AUD, exp: sec() + 600 })).toString('base64url')}.${valid.split('.')[2]}`,
    'alg none': unsignedToken({ project_id: projectId, sub: 'user-1', iss: ISS, aud: AUD, exp: sec() + 600 }),
    'unknown kid': await token({}, { kid: 'nope' }),
    'kid of a key not in the JWKS': await token({}, {}, es),
    'HS256 with the public key as secret': await new SignJWT({ project_id: projectId, sub: 'u' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISS).setAudience(AUD).setExpirationTime(sec() + 600).sign(new TextEncoder().encode(JSON.stringify(k1.jwk))),
    'not-yet-valid': await token({}, { nbf: sec() + 3600 }),
    'no project claim': await token({ project_id: undefined }),
    'unknown project': await token({ project_id: 'no-such-project' }),
    'project claim not a string': await token({ project_id: 42 })
  }
  t.ok(p)
  const none = errorShape((await app.inject({ url: '/v1/me' })).body)
  for (const [name, tok] of Object.entries(cases)) {
    const res = await me(tok)
    t.equal(res.statusCode, 401, name)
    t.same(errorShape(res.body), none, `${name}: indistinguishable from no credentials`)
  }

  const expiring = await token()
  t.equal((await me(expiring)).statusCode, 200)
  clock.advance(600_000 + 5000 + 1000) // past exp and the 5 s default tolerance
  t.equal((await me(expiring)).statusCode, 401, 'expired')
})

t.test('algorithms is an allow-list', async (t) => {
  const { me, token } = await setup(t, { algorithms: ['ES256'] })
  t.equal((await me(await token())).statusCode, 401, 'RS256 refused when only ES256 is allowed')
})

t.test('JWKS unreachable or broken: a clear retryable 503, no crash, other credentials unaffected', async (t) => {
  const { app, jwks, token, me, apiKey } = await setup(t)
  const tok = await token()

  jwks.failWith = 500
  let res = await me(tok)
  t.equal(res.statusCode, 503)
  t.match(res.json().error, { code: 'PULSE_AUTH_JWKS_UNAVAILABLE', retryable: true })

  await jwks.stop()
  res = await me(tok)
  t.equal(res.statusCode, 503, 'connection refused')
  t.equal(res.json().error.code, 'PULSE_AUTH_JWKS_UNAVAILABLE')
  t.equal((await app.inject({ url: '/v1/me', headers: bearer(apiKey) })).statusCode, 200, 'API keys still work')
})

t.test('a JWKS that never answers times out after jwt.timeoutMs with a 503', async (t) => {
  const hung = createServer(() => { /* never answers */ })
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { hung.closeAllConnections(); hung.close() })
  const k1 = await signingKey('k1')
  const { app } = await buildAuth(t, {
    auth: { jwt: { jwksUrl: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/jwks`, issuer: ISS, audience: AUD, timeoutMs: 100 } }
  })
  const { projectId } = await createProject(app)
  const res = await app.inject({ url: '/v1/me', headers: bearer(await signToken(k1, { project_id: projectId }, { iss: ISS, aud: AUD })) })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error.code, 'PULSE_AUTH_JWKS_UNAVAILABLE')
})

t.test('key rotation at the JWKS: a new kid is fetched and accepted, the retired key is refused', async (t) => {
  const { jwks, token, me } = await setup(t, { cooldownMs: 0 })
  const old = await token()
  t.equal((await me(old)).statusCode, 200)
  const fetchesBefore = jwks.fetches

  const k2 = await signingKey('k2', 'ES256')
  jwks.setKeys([k2])
  const rotated = await token({}, {}, k2)
  t.equal((await me(rotated)).statusCode, 200, 'token under the new kid accepted')
  t.ok(jwks.fetches > fetchesBefore, 'the unknown kid made us fetch the key set again')
  t.equal((await me(old)).statusCode, 401, 'the retired key no longer verifies')
})

t.test('within cooldownMs an unknown kid does not refetch the JWKS (no amplification)', async (t) => {
  const { jwks, token, me } = await setup(t) // default cooldown 30 s
  t.equal((await me(await token())).statusCode, 200)
  const fetches = jwks.fetches
  for (let i = 0; i < 5; i++) t.equal((await me(await token({}, { kid: `unknown-${i}` }))).statusCode, 401)
  t.equal(jwks.fetches, fetches)
})

t.test('projectId maps every token to one project; userClaim picks the user', async (t) => {
  const k1 = await signingKey('k1')
  const jwks = await JwksServer.start(t, [k1])
  const clock = new FakeClock(Date.now())
  const { app } = await buildAuth(t, { auth: { now: clock.now } })
  const { projectId } = await createProject(app)
  const { app: app2 } = await buildAuth(t, {
    store: app.pulse.store,
    auth: { now: clock.now, jwt: { jwksUrl: jwks.url, issuer: ISS, audience: AUD, projectId, userClaim: 'email' } }
  })
  const tok = await signToken(k1, { email: 'ada@example.test', sub: 's' }, { iss: ISS, aud: [AUD, 'other'][0] })
  const res = await app2.inject({ url: '/v1/me', headers: bearer(tok) })
  t.equal(res.statusCode, 200)
  t.same(res.json().data, { projectId, via: 'jwt', userId: 'ada@example.test' })
})

t.test('the umbrella passes auth.jwt through; bad jwt options fail ready() naming the option', async (t) => {
  const k1 = await signingKey('k1')
  const jwks = await JwksServer.start(t, [k1])
  const { app } = await build(t, { auth: { jwt: { jwksUrl: jwks.url, issuer: ISS, audience: [AUD, 'b'] } } })
  const { projectId } = await createProject(app)
  const res = await app.inject({ url: '/v1/me', headers: bearer(await signToken(k1, { project_id: projectId, sub: 'u' }, { iss: ISS, aud: 'b' })) })
  t.equal(res.statusCode, 200)

  await t.rejects(build(t, { auth: { jwt: { jwksUrl: jwks.url, issuer: ISS } } } as never), /option "auth\.jwt\.audience"/)
  await t.rejects(build(t, { auth: { jwt: { jwksUrl: jwks.url, issuer: ISS, audience: AUD, algorithms: ['none'] } } } as never), /auth\.jwt\.algorithms/)
  await t.rejects(build(t, { auth: { jwt: { jwksUrl: jwks.url, issuer: ISS, audience: AUD, algorithms: ['HS256'] } } } as never), /auth\.jwt\.algorithms/)
  await t.rejects(build(t, { production: true, auth: { jwt: { jwksUrl: 'http://idp.example.test/jwks', issuer: ISS, audience: AUD } } }), /auth\.jwt\.jwksUrl.*https/)
})
