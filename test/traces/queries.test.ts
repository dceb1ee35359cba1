import t from 'tap'
import { bearer, build, createProject } from '../helpers/app.js'
import { eachBackend } from '../helpers/backends.js'
import { makeTrace, postBatch } from '../helpers/traces.js'

const H = 3_600_000

eachBackend(t, async (t, backend) => {
  t.test('GET /traces: filters, newest first, limit/offset, { traces, total, limit, offset }', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { apiKey } = await createProject(app)
    const base = Date.UTC(2025, 2, 1)
    const batch = Array.from({ length: 10 }, (_, i) => makeTrace({
      timestamp: new Date(base + i * H).toISOString(),
      session_id: i < 4 ? 'sess-a' : 'sess-b',
      provider: i % 2 === 0 ? 'openai' : 'anthropic',
      model_requested: i % 2 === 0 ? 'gpt-4o' : 'claude-3-5-haiku',
      status: i === 3 ? 'error' : i === 5 ? 'cancelled' : 'success'
    }))
    t.equal((await postBatch(app, apiKey, batch)).statusCode, 202)
    const q = async (qs: string) => {
      const res = await app.inject({ url: `/v1/traces?${qs}`, headers: bearer(apiKey) })
      t.equal(res.statusCode, 200, qs)
      const data = res.json().data
      return { ...data, idx: data.traces.map((x: { trace_id: string }) => batch.findIndex((b) => b.trace_id === x.trace_id)) }
    }
    const all = await q('')
    t.same(all.idx, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    t.same([all.total, all.limit, all.offset], [10, 50, 0])
    t.same((await q('session_id=sess-a')).idx, [3, 2, 1, 0])
    t.same((await q('provider=anthropic')).idx, [9, 7, 5, 3, 1])
    t.same((await q('model=gpt-4o')).idx, [8, 6, 4, 2, 0])
    t.same((await q('status=error')).idx, [3])
    t.same((await q('status=cancelled')).idx, [5])
    t.same((await q(`date_from=${new Date(base + 2 * H).toISOString()}&date_to=${new Date(base + 5 * H).toISOString()}`)).idx, [4, 3, 2])
    const page = await q('limit=3&offset=2')
    t.same(page.idx, [7, 6, 5])
    t.same([page.total, page.limit, page.offset], [10, 3, 2])
    const tooMany = await app.inject({ url: '/v1/traces?limit=101', headers: bearer(apiKey) })
    t.equal(tooMany.statusCode, 400, 'limit is at most 100')
    const badDate = await app.inject({ url: '/v1/traces?date_from=yesterday', headers: bearer(apiKey) })
    t.equal(badDate.statusCode, 400)
  })

  t.test('GET /sessions/:id: { sessionId, traces } oldest first; unknown session 404', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { apiKey } = await createProject(app)
    const base = Date.UTC(2025, 2, 1)
    const batch = [2, 0, 1].map((i) => makeTrace({ session_id: 'chat-1', timestamp: new Date(base + i * 1000).toISOString() }))
    await postBatch(app, apiKey, [...batch, makeTrace({ session_id: 'chat-2' })])
    const res = await app.inject({ url: '/v1/sessions/chat-1', headers: bearer(apiKey) })
    t.equal(res.statusCode, 200)
    t.equal(res.json().data.sessionId, 'chat-1')
    t.same(res.json().data.traces.map((x: { timestamp: string }) => Date.parse(x.timestamp) - base), [0, 1000, 2000])
    const none = await app.inject({ url: '/v1/sessions/nope', headers: bearer(apiKey) })
    t.equal(none.statusCode, 404)
    t.equal(none.json().error.code, 'PULSE_NOT_FOUND')
  })

  t.test("another project's trace or session answers 404; its data never leaks into lists", async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const a = await createProject(app, 'A')
    const b = await createProject(app, 'B')
    const mine = makeTrace({ session_id: 'shared-name' })
    await postBatch(app, a.apiKey, [mine])
    await postBatch(app, b.apiKey, [makeTrace({ session_id: 'b-only' })])
    const cases: Array<[string, string, string, number]> = [
      ['own trace', a.apiKey, `/v1/traces/${mine.trace_id}`, 200],
      ["other project's trace", b.apiKey, `/v1/traces/${mine.trace_id}`, 404],
      ['own session', a.apiKey, '/v1/sessions/shared-name', 200],
      ["other project's session", b.apiKey, '/v1/sessions/shared-name', 404],
      ["other project's session, reversed", a.apiKey, '/v1/sessions/b-only', 404],
      ['unknown trace id', a.apiKey, '/v1/traces/00000000-0000-4000-8000-000000000000', 404],
      ['not a uuid', a.apiKey, '/v1/traces/whatever', 404]
    ]
    for (const [name, key, url, status] of cases) {
      const res = await app.inject({ url, headers: bearer(key) })
      t.equal(res.statusCode, status, name)
      if (status === 404) t.notMatch(res.body, mine.trace_id.slice(0, 8) + 'x', name)
    }
    const listB = await app.inject({ url: '/v1/traces', headers: bearer(b.apiKey) })
    t.equal(listB.json().data.total, 1)
    t.not(listB.json().data.traces[0].trace_id, mine.trace_id)
    const listBSession = await app.inject({ url: '/v1/traces?session_id=shared-name', headers: bearer(b.apiKey) })
    t.equal(listBSession.json().data.total, 0)
    for (const url of ['/v1/traces', `/v1/traces/${mine.trace_id}`, '/v1/sessions/shared-name']) {
      t.equal((await app.inject({ url })).statusCode, 401, `${url} needs credentials`)
    }
  })
})
