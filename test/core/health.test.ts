import t from 'tap'
import { memoryStore } from '../../lib/store/index.js'
import { build } from '../helpers/app.js'
import { eachBackend } from '../helpers/backends.js'

eachBackend(t, async (t, backend) => {
  t.test('GET /v1/health reports the store kind', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const res = await app.inject({ url: '/v1/health' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { ok: true, data: { status: 'ok', service: 'pulse', store: backend.name } })
  })
})

t.test('an unreachable store answers 503, retryable', async (t) => {
  const store = memoryStore()
  const { app } = await build(t, { store: { ...store, ping: async () => { throw new Error('connection refused 10.0.0.5') } } })
  const res = await app.inject({ url: '/v1/health' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error.code, 'PULSE_UNAVAILABLE')
  t.equal(res.json().error.retryable, true)
  t.notMatch(res.body, /10\.0\.0\.5/, 'the driver error stays in the logs')
})
