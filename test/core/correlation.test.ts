import t from 'tap'
import { build } from '../helpers/app.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('a sane x-request-id is honoured, echoed, and in every log line of the request', async (t) => {
  const { app, logs } = await build(t)
  const id = 'client-req_42.a:b'
  const res = await app.inject({ url: '/v1/no-such-route', headers: { 'x-request-id': id } })
  t.equal(res.headers['x-request-id'], id)
  t.equal(res.json().error.correlationId, id)
  const lines = logs.lines.filter((l) => l.reqId === logs.lines.find((x) => x.correlationId === id)?.reqId)
  const afterHook = lines.filter((l) => l.msg !== 'incoming request')
  t.ok(afterHook.length >= 2, 'the error line and the completion line')
  for (const line of afterHook) t.equal(line.correlationId, id, `log line "${line.msg}" carries it`)
})

t.test('an insane x-request-id is replaced by a generated one', async (t) => {
  const { app } = await build(t)
  for (const bad of ['x'.repeat(129), 'has space', 'new\\nline', 'semi;colon', '']) {
    const res = await app.inject({ url: '/v1/health', headers: { 'x-request-id': bad } })
    t.match(res.headers['x-request-id'], UUID, JSON.stringify(bad.slice(0, 20)))
  }
})

t.test('without x-request-id one is generated, and differs per request', async (t) => {
  const { app } = await build(t)
  const a = await app.inject({ url: '/v1/health' })
  const b = await app.inject({ url: '/v1/health' })
  t.match(a.headers['x-request-id'], UUID)
  t.not(a.headers['x-request-id'], b.headers['x-request-id'])
})
