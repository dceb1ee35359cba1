import t from 'tap'
import { isLoopback } from '../../lib/net.js'
import { createProject } from '../helpers/app.js'
import { buildAuth } from '../helpers/auth.js'

t.test('isLoopback: socket addresses of this host only', async (t) => {
  for (const a of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(a), a)
  for (const a of ['10.1.2.3', '192.168.0.1', '::ffff:10.0.0.1', '0.0.0.0', '::', '128.0.0.1', 'localhost', '127.0.0.1.evil.test', '', undefined]) {
    t.notOk(isLoopback(a), String(a))
  }
})

t.test('devAuth: the header names the project, from loopback only', async (t) => {
  const { app, logs } = await buildAuth(t, { auth: { devAuth: true }, fastify: { trustProxy: true } })
  t.ok(logs.lines.some((l) => l.level === 40 && /devAuth is ON/.test(String(l.msg))), 'warned at start')
  const { projectId } = await createProject(app)
  const me = (remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject({ url: '/v1/me', remoteAddress, headers: { 'x-pulse-project': projectId, ...headers } })

  for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    const res = await me(addr)
    t.equal(res.statusCode, 200, addr)
    t.same(res.json().data, { projectId, via: 'dev' })
  }
  const remote = await me('10.1.2.3')
  t.equal(remote.statusCode, 401, 'from another machine: refused')
  t.equal(remote.json().error.code, 'PULSE_UNAUTHORIZED')
  t.equal((await me('10.1.2.3', { 'x-forwarded-for': '127.0.0.1' })).statusCode, 401,
    'a forged X-Forwarded-For does not make a remote caller loopback, even with trustProxy')
  for (const forwarding of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
    t.equal((await me('127.0.0.1', { [forwarding]: '203.0.113.9' })).statusCode, 401,
      `a loopback peer forwarding for someone else (${forwarding}: a reverse proxy on this machine) is refused`)
  }
  t.equal((await app.inject({ url: '/v1/me', headers: { 'x-pulse-project': 'no-such-project' } })).statusCode, 401, 'unknown project')
})

t.test('without devAuth the header is ignored', async (t) => {
  const { app } = await buildAuth(t)
  const { projectId } = await createProject(app)
  t.equal((await app.inject({ url: '/v1/me', headers: { 'x-pulse-project': projectId } })).statusCode, 401)
})

t.test('devAuth refuses to start in production', async (t) => {
  await t.rejects(buildAuth(t, { core: { production: true }, auth: { devAuth: true } }), /option "auth\.devAuth" must not be enabled in production/)

  const before = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await t.rejects(buildAuth(t, { auth: { devAuth: true } }), /auth\.devAuth/, 'production defaults to NODE_ENV === "production"')
  } finally {
    if (before === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = before
  }
  const ok = await buildAuth(t, { core: { production: false }, auth: { devAuth: true } })
  t.ok(ok.app, 'fine outside production')
})
