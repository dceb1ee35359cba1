import t from 'tap'
import { bearer, build, createProject } from '../helpers/app.js'
import { eachBackend } from '../helpers/backends.js'
import { makeTrace, postBatch } from '../helpers/traces.js'

const DAY = 86_400_000

async function analyticsRequests (app: Parameters<typeof postBatch>[0], apiKey: string) {
  const from = new Date(Date.now() - DAY).toISOString()
  const to = new Date(Date.now() + DAY).toISOString()
  const res = await app.inject({ url: `/v1/analytics?date_from=${from}&date_to=${to}&group_by=model`, headers: bearer(apiKey) })
  return res.json().data.costOverTime.reduce((n: number, b: { requests: number }) => n + b.requests, 0) as number
}

eachBackend(t, async (t, backend) => {
  t.test('202 { count, traces } in the envelope, and every trace is queryable as soon as the POST returns', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { apiKey } = await createProject(app)
    const batch = Array.from({ length: 100 }, (_, i) => makeTrace({ cost_cents: i === 0 ? 0.15 : 1, session_id: 's' }))
    const res = await postBatch(app, apiKey, batch)
    t.equal(res.statusCode, 202)
    t.same(res.json(), { ok: true, data: { count: 100, traces: batch.map((b) => b.trace_id) } })
    const one = await app.inject({ url: `/v1/traces/${batch[0]!.trace_id}`, headers: bearer(apiKey) })
    t.equal(one.statusCode, 200)
    t.equal(one.json().data.cost_cents, 0.15, 'a 0.15 ¢ call is not rounded')
    const list = await app.inject({ url: '/v1/traces?limit=1', headers: bearer(apiKey) })
    t.equal(list.json().data.total, 100)
  })

  t.test('ingest is idempotent: a batch sent twice, and twice at the same time, is stored and counted once', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { apiKey } = await createProject(app)
    const first = Array.from({ length: 50 }, () => makeTrace())
    t.equal((await postBatch(app, apiKey, first)).statusCode, 202)
    const again = await postBatch(app, apiKey, first)
    t.equal(again.statusCode, 202, 'a resend is accepted')
    t.same(again.json().data, { count: 50, traces: first.map((b) => b.trace_id) })
    const second = Array.from({ length: 100 }, () => makeTrace())
    const both = await Promise.all([postBatch(app, apiKey, second), postBatch(app, apiKey, second), postBatch(app, apiKey, second)])
    t.same(both.map((r) => r.statusCode), [202, 202, 202])
    const list = await app.inject({ url: '/v1/traces?limit=1', headers: bearer(apiKey) })
    t.equal(list.json().data.total, 150, 'each trace stored once')
    t.equal(await analyticsRequests(app, apiKey), 150, 'each trace counted once in analytics')
  })

  t.test('an invalid item rejects the whole batch with 400 naming its index and field', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { apiKey } = await createProject(app)
    const cases: Array<[string, unknown[], number, string]> = [
      ['bad status', [makeTrace(), makeTrace(), { ...makeTrace(), status: 'ok' }], 2, 'status'],
      ['missing latency_ms', [makeTrace(), { ...makeTrace(), latency_ms: undefined }], 1, 'latency_ms'],
      ['trace_id not a uuid', [{ ...makeTrace(), trace_id: 'abc' }], 0, 'trace_id'],
      ['timestamp not a date', [makeTrace(), makeTrace(), makeTrace(), { ...makeTrace(), timestamp: 'yesterday' }], 3, 'timestamp'],
      ['negative tokens', [{ ...makeTrace(), input_tokens: -1 }], 0, 'input_tokens'],
      ['provider with spaces', [{ ...makeTrace(), provider: 'open ai' }], 0, 'provider']
    ]
    for (const [name, body, index, field] of cases) {
      const res = await postBatch(app, apiKey, body)
      t.equal(res.statusCode, 400, name)
      const { error } = res.json()
      t.equal(error.code, 'PULSE_VALIDATION', name)
      t.match(error.message, `index ${index}`, `${name}: message names the index`)
      t.match(error.message, field, `${name}: message names the field`)
      t.same(error.details[0].index, index, name)
      t.same(error.details[0].field, field, name)
    }
    const list = await app.inject({ url: '/v1/traces?limit=1', headers: bearer(apiKey) })
    t.equal(list.json().data.total, 0, 'nothing from a rejected batch is stored')
    const empty = await postBatch(app, apiKey, [])
    t.equal(empty.statusCode, 400, 'an empty batch is a 400')
  })

  t.test('more than 100 items, or a body over the limit, is 413 with the limit in the body', async (t) => {
    const { app } = await build(t, { store: backend.makeStore(), traces: { batchBodyLimit: 40_000 } })
    const { apiKey } = await createProject(app)
    const many = await postBatch(app, apiKey, Array.from({ length: 101 }, () => makeTrace()))
    t.equal(many.statusCode, 413)
    t.equal(many.json().error.code, 'PULSE_BATCH_TOO_LARGE')
    t.match(many.json().error.message, '100')
    t.same(many.json().error.details, { maxItems: 100, items: 101 })
    const big = await postBatch(app, apiKey, [makeTrace({ request_body: { text: 'x'.repeat(50_000) } })])
    t.equal(big.statusCode, 413)
    t.equal(big.json().error.code, 'PULSE_PAYLOAD_TOO_LARGE')
    t.match(big.json().error.message, '40000')
    t.equal(big.json().error.details.limitBytes, 40_000)
    t.ok(big.json().error.correlationId, 'still the envelope')
  })
})

t.test('cost is filled from the pricing table when the client sends none; unknown models are flagged unpriced', async (t) => {
  const { app } = await build(t, { traces: { pricing: { 'my-model': { inputCentsPer1M: 100, outputCentsPer1M: 200 } } } })
  const { apiKey } = await createProject(app)
  const priced = makeTrace({ model_requested: 'gpt-4o', model_used: 'gpt-4o-2024-08-06', input_tokens: 1000, output_tokens: 100 })
  const custom = makeTrace({ model_requested: 'my-model', input_tokens: 1_000_000, output_tokens: 0 })
  const unknown = makeTrace({ model_requested: 'mystery-1', input_tokens: 10, output_tokens: 10 })
  const given = makeTrace({ model_requested: 'gpt-4o', input_tokens: 10, output_tokens: 10, cost_cents: 0.001, cost_source: 'provider' })
  t.equal((await postBatch(app, apiKey, [priced, custom, unknown, given])).statusCode, 202)
  const get = async (id: string) => (await app.inject({ url: `/v1/traces/${id}`, headers: bearer(apiKey) })).json().data
  const p = await get(priced.trace_id)
  t.equal(p.cost_cents, (1000 * 250 + 100 * 1000) / 1e6)
  t.equal(p.cost_source, 'pricing_table')
  t.equal((await get(custom.trace_id)).cost_cents, 100, 'prices from options are used')
  const u = await get(unknown.trace_id)
  t.equal(u.cost_cents, undefined, 'no guess for an unknown model')
  t.equal(u.unpriced, true)
  t.equal(u.cost_source, 'none')
  const g = await get(given.trace_id)
  t.equal(g.cost_cents, 0.001)
  t.equal(g.cost_source, 'provider', 'a client cost is kept')
})

t.test('the ingest route needs a project credential', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'POST', url: '/v1/traces/batch', payload: [makeTrace()] })
  t.equal(res.statusCode, 401)
})
