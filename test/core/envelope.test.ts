import t, { type Test } from 'tap'
import { UnknownKeyError } from '../../lib/crypto.js'
import { registerRoutes } from '../../plugins/core/register-routes.js'
import { ADMIN_KEY, build } from '../helpers/app.js'

const admin = { 'x-admin-key': ADMIN_KEY }

function assertEnvelope (t: Test, body: Record<string, unknown>, code: string) {
  t.equal(body.ok, false)
  const error = body.error as Record<string, unknown>
  t.equal(error.code, code)
  t.type(error.message, 'string')
  t.type(error.retryable, 'boolean')
  t.type(error.correlationId, 'string')
}

t.test('validation error: 400 with the failing field in details', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'POST', url: '/v1/projects', headers: admin, payload: { name: 42 } })
  t.equal(res.statusCode, 400)
  const body = res.json()
  assertEnvelope(t, body, 'PULSE_VALIDATION')
  t.match(body.error.details, [{ in: 'body', field: 'name' }])
  t.match(body.error.message, /name/)
  t.equal(body.error.retryable, false)

  const missing = await app.inject({ method: 'POST', url: '/v1/projects', headers: admin, payload: {} })
  t.equal(missing.statusCode, 400)
  t.match(missing.json().error.details, [{ field: 'name' }], 'a missing property is named too')

  const query = await app.inject({ url: '/v1/projects?limit=1000', headers: admin })
  t.equal(query.statusCode, 400)
  t.match(query.json().error.details, [{ in: 'querystring', field: 'limit' }])
})

t.test('unknown route inside the prefix: 404 envelope', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/v1/no/such/route?x=1' })
  t.equal(res.statusCode, 404)
  assertEnvelope(t, res.json(), 'PULSE_NOT_FOUND')
  t.equal(res.json().error.message, 'No route GET /v1/no/such/route')
})

t.test('body too large: 413 envelope', async (t) => {
  const { app } = await build(t, { bodyLimit: 2048 })
  const res = await app.inject({ method: 'POST', url: '/v1/projects', headers: admin, payload: { name: 'x'.repeat(4096) } })
  t.equal(res.statusCode, 413)
  assertEnvelope(t, res.json(), 'PULSE_PAYLOAD_TOO_LARGE')
})

t.test('unsupported media type: 415 envelope', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({
    method: 'POST', url: '/v1/projects', headers: { ...admin, 'content-type': 'application/xml' }, payload: '<name>x</name>'
  })
  t.equal(res.statusCode, 415)
  assertEnvelope(t, res.json(), 'PULSE_UNSUPPORTED_MEDIA_TYPE')
})

t.test('text/plain on a JSON route: 415, not a validation error', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({
    method: 'POST', url: '/v1/projects', headers: { ...admin, 'content-type': 'text/plain' }, payload: 'name=x'
  })
  t.equal(res.statusCode, 415)
  assertEnvelope(t, res.json(), 'PULSE_UNSUPPORTED_MEDIA_TYPE')
})

t.test('a coded 500 keeps its code but not its message', async (t) => {
  const { app, logs } = await build(t, {}, {
    after: (host) => registerRoutes(host, async (scope) => {
      scope.get('/coded-boom', { config: { auth: 'none' } }, async () => {
        throw new UnknownKeyError('3f2a9c1b7e6d')
      })
    })
  })
  const res = await app.inject({ url: '/v1/coded-boom' })
  t.equal(res.statusCode, 500)
  assertEnvelope(t, res.json(), 'PULSE_VAULT_UNKNOWN_KEY')
  t.equal(res.json().error.message, 'Internal server error')
  t.notMatch(res.body, /3f2a9c1b7e6d/, 'the key id stays out of the response')
  t.match(logs.text, /3f2a9c1b7e6d/, 'and goes to the log')
})

t.test('malformed JSON: 400 envelope', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({
    method: 'POST', url: '/v1/projects', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"name":'
  })
  t.equal(res.statusCode, 400)
  assertEnvelope(t, res.json(), 'PULSE_INVALID_JSON')
})

t.test('a thrown error: 500 with no stack or internal message, logged with its stack', async (t) => {
  const { app, logs } = await build(t, {}, {
    after: (host) => registerRoutes(host, async (scope) => {
      scope.get('/boom', { config: { auth: 'none' } }, async () => {
        throw new Error('db password is hunter2 at /srv/app/secret.js')
      })
    })
  })
  const res = await app.inject({ url: '/v1/boom' })
  t.equal(res.statusCode, 500)
  const body = res.json()
  assertEnvelope(t, body, 'PULSE_INTERNAL')
  t.equal(body.error.message, 'Internal server error')
  t.equal(body.error.retryable, true)
  t.notMatch(res.body, /hunter2|secret\.js|at /, 'nothing internal leaks into the response')
  const logged = logs.lines.find((l) => l.msg === 'unhandled error')
  t.ok(logged, 'the error is logged')
  t.equal(logged?.correlationId, body.error.correlationId, 'with the correlation id')
})
