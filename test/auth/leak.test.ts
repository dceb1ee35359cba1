import t from 'tap'
import { ADMIN_KEY, bearer, createProject } from '../helpers/app.js'
import { buildAuth, parseSetCookie } from '../helpers/auth.js'
import { JwksServer, signingKey, signToken, unsignedToken } from '../helpers/jwks.js'

const ORIGIN = 'https://app.example.test'
const ISS = 'https://issuer.test'
const AUD = 'pulse-test'

t.test('no API key, admin key, JWT, cookie value or provider key appears in any log line', async (t) => {
  const k1 = await signingKey('k1')
  const forger = await signingKey('k1')
  const jwks = await JwksServer.start(t, [k1])
  const { app, logs } = await buildAuth(t, {
    auth: {
      devAuth: true,
      rateLimit: { max: 25 },
      session: { allowedOrigins: [ORIGIN] },
      jwt: { jwksUrl: jwks.url, issuer: ISS, audience: AUD }
    }
  })
  const secrets: string[] = [ADMIN_KEY]
  const admin = { 'x-admin-key': ADMIN_KEY }

  // Admin routes, good and bad.
  const { projectId, apiKey, keyId } = await createProject(app, 'leaky')
  secrets.push(apiKey)
  const key2 = (await app.inject({ method: 'POST', url: `/v1/projects/${projectId}/keys`, headers: admin, payload: { name: 'second' } })).json().data
  secrets.push(key2.apiKey)
  await app.inject({ url: '/v1/projects', headers: admin })
  await app.inject({ url: `/v1/projects/${projectId}/keys`, headers: admin })
  const wrongAdmin = 'wrong-admin-key-guess-0123456789'
  secrets.push(wrongAdmin)
  await app.inject({ url: '/v1/projects', headers: { 'x-admin-key': wrongAdmin } })
  await app.inject({ method: 'POST', url: '/v1/projects', headers: admin, payload: { name: '' } })

  // API keys: good, unknown, malformed, revoked.
  const unknownKey = 'pulse_sk_' + 'U'.repeat(43)
  secrets.push(unknownKey)
  await app.inject({ url: '/v1/me', headers: bearer(apiKey) })
  await app.inject({ url: '/v1/me', headers: bearer(unknownKey) })
  await app.inject({ url: '/v1/me', headers: bearer('pulse_sk_malformed-secret-value') })
  await app.inject({ method: 'DELETE', url: `/v1/projects/${projectId}/keys/${key2.keyId}`, headers: admin })
  await app.inject({ url: '/v1/me', headers: bearer(key2.apiKey) })

  // JWTs: good, forged, unsigned, and while the JWKS is failing.
  const good = await signToken(k1, { project_id: projectId, sub: 'u1' }, { iss: ISS, aud: AUD })
  const forged = await signToken(forger, { project_id: projectId, sub: 'u1' }, { iss: ISS, aud: AUD })
  const none = unsignedToken({ project_id: projectId, iss: ISS, aud: AUD })
  secrets.push(good, forged, none)
  for (const tok of [good, forged, none]) await app.inject({ url: '/v1/me', headers: bearer(tok) })

  // Sessions: open (API key and JWT), use, add a key, CSRF refusal, bad body, logout.
  const providerKeys = ['sk-provider-openai-0123456789abcdef', 'sk-ant-provider-anthropic-0123456789', 'sk-jwt-user-provider-0123456789']
  secrets.push(...providerKeys)
  const opened = await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(apiKey), payload: { provider: 'openai', apiKey: providerKeys[0] } })
  const token = parseSetCookie(opened.headers['set-cookie'])!.value
  const viaJwt = await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(good), payload: { provider: 'openai', apiKey: providerKeys[2] } })
  const jwtToken = parseSetCookie(viaJwt.headers['set-cookie'])!.value
  secrets.push(token, jwtToken)
  const cookie = { cookie: `pulse_session=${token}` }
  await app.inject({ url: '/v1/me', headers: cookie })
  await app.inject({ url: '/v1/auth/session', headers: cookie })
  await app.inject({ method: 'POST', url: '/v1/auth/session', headers: { ...cookie, origin: ORIGIN }, payload: { provider: 'anthropic', apiKey: providerKeys[1] } })
  await app.inject({ method: 'POST', url: '/v1/auth/session', headers: { ...cookie, origin: 'https://evil.example.test' }, payload: { provider: 'anthropic', apiKey: providerKeys[1] } })
  await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(apiKey), payload: { provider: 'NOT VALID', apiKey: providerKeys[1] } })
  await app.inject({ method: 'POST', url: '/v1/auth/session', headers: bearer(apiKey), payload: `{"provider":"openai","apiKey":"${providerKeys[1]}"` })
  await app.inject({ method: 'DELETE', url: '/v1/auth/session', headers: { ...cookie, origin: ORIGIN } })
  await app.inject({ url: '/v1/me', headers: cookie })

  // Dev header from afar, JWKS down, then enough failures to be locked out.
  await app.inject({ url: '/v1/me', headers: { 'x-pulse-project': projectId }, remoteAddress: '10.1.2.3' })
  jwks.failWith = 503
  await app.inject({ url: '/v1/me', headers: bearer(good) })
  for (let i = 0; i < 30; i++) await app.inject({ url: '/v1/me', headers: bearer(unknownKey), remoteAddress: '10.9.9.9' })
  const locked = await app.inject({ url: '/v1/me', headers: bearer(apiKey), remoteAddress: '10.9.9.9' })
  t.equal(locked.statusCode, 429, 'the walk reached the lock-out')
  await app.inject({ method: 'DELETE', url: `/v1/projects/${projectId}/keys/${keyId}`, headers: admin })

  const text = logs.text
  t.ok(logs.raw.length > 50, `captured ${logs.raw.length} log lines`)
  t.match(text, /PULSE_UNAUTHORIZED/, 'failures were logged')
  t.match(text, /PULSE_RATE_LIMITED/)
  for (const secret of secrets) {
    t.notOk(text.includes(secret), `not in the logs: ${secret.slice(0, 10)}…`)
    // A distinctive middle slice, in case something logs a truncated or re-wrapped value.
    const middle = secret.slice(Math.floor(secret.length / 2) - 8, Math.floor(secret.length / 2) + 8)
    t.notOk(text.includes(middle), `nor a slice of it: ${secret.slice(0, 10)}…`)
  }
})
