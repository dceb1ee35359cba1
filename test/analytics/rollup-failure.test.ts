import t from 'tap'
import { rollupsRepository } from '../../plugins/analytics/store/index.js'
import { bearer, build, createProject } from '../helpers/app.js'
import { eachBackend } from '../helpers/backends.js'
import { makeTrace, postBatch } from '../helpers/traces.js'

eachBackend(t, async (t, backend) => {
  t.test('a rollup write that fails loses nothing: the retry stores and counts each trace once', async (t) => {
    const store = backend.makeStore()
    const { app } = await build(t, { store })
    const { apiKey } = await createProject(app)
    const rollups = await store.repository('rollups', rollupsRepository)
    const apply = rollups.apply.bind(rollups)
    let failNext = true
    rollups.apply = async (batch) => {
      if (failNext) {
        failNext = false
        throw new Error('rollup store unavailable')
      }
      await apply(batch)
    }

    const batch = [makeTrace({ latency_ms: 120 }), makeTrace({ latency_ms: 80 })]
    const first = await postBatch(app, apiKey, batch)
    t.equal(first.statusCode, 500, 'the failed ingest is an error, so the client retries')
    const again = await postBatch(app, apiKey, batch)
    t.equal(again.statusCode, 202)
    t.equal(again.json().data.count, 2, 'the retry stores both traces (the failed insert was undone)')

    const from = new Date(Date.now() - 86_400_000).toISOString()
    const to = new Date(Date.now() + 3_600_000).toISOString()
    const res = await app.inject({ url: `/v1/analytics?date_from=${from}&date_to=${to}`, headers: bearer(apiKey) })
    const requests = res.json().data.costOverTime.reduce((n: number, b: { requests: number }) => n + b.requests, 0)
    t.equal(requests, 2, 'and analytics counts each once')
    t.equal((await app.inject({ url: '/v1/traces', headers: bearer(apiKey) })).json().data.total, 2)
  })
})
