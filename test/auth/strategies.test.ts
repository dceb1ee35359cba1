import t from 'tap'
import { bearer, build, createProject } from '../helpers/app.js'

// Opens a BYOK session for project A and returns its cookie header.
async function sessionCookie (app: Awaited<ReturnType<typeof build>>['app'], apiKey: string) {
  const res = await app.inject({
    method: 'POST', url: '/v1/auth/session', headers: bearer(apiKey), payload: { provider: 'openai', apiKey: 'sk-user-0123456789abcdef' }
  })
  t.equal(res.statusCode, 201)
  const cookie = String(res.headers['set-cookie']).split(';')[0] as string
  return cookie
}

t.test('an explicit credential wins over the ambient session cookie, whatever the registration order', async (t) => {
  const { app } = await build(t)
  const a = await createProject(app, 'A')
  const b = await createProject(app, 'B')
  const cookie = await sessionCookie(app, a.apiKey)

  // A strategy added after the session strategy (as pulse-provider-proxy's x-api-key one is).
  const viaHeader = await app.inject({ url: '/v1/me', headers: { 'x-api-key': b.apiKey, cookie } })
  t.equal(viaHeader.statusCode, 200)
  t.equal(viaHeader.json().data.projectId, b.projectId, 'x-api-key, not the cookie, decides')

  // A state-changing request with an explicit key is not CSRF-checked against the cookie it also carries.
  const write = await app.inject({
    method: 'POST', url: '/v1/auth/session', headers: { 'x-api-key': b.apiKey, cookie }, payload: { provider: 'anthropic', apiKey: 'sk-ant-0123456789abcdef' }
  })
  t.not(write.statusCode, 403)

  const cookieOnly = await app.inject({ url: '/v1/me', headers: { cookie } })
  t.equal(cookieOnly.json().data.projectId, a.projectId, 'the cookie alone still authenticates')
})
