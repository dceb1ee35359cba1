import t from 'tap'
import { MongoClient } from 'mongodb'
import { eachBackend, MONGODB_URL } from '../helpers/backends.js'
import { makeRecord, makeTrace } from '../helpers/traces.js'
import { tracesRepository } from '../../plugins/traces/store/index.js'
import { rollupsRepository } from '../../plugins/analytics/store/index.js'
import { rollupDeltas } from '../../plugins/analytics/rollup.js'
import { createTracesService } from '../../plugins/traces/service.js'
import { resolveOptions } from '../../lib/options.js'
import { TracesOptions } from '../../plugins/traces/options.js'
import { createPricing } from '../../lib/pricing.js'
import { build } from '../helpers/app.js'
import { mongoStore } from '../../lib/store/index.js'

const silent = { info () {}, warn () {}, error () {} }
const H = 3_600_000

eachBackend(t, async (t, backend) => {
  t.test('insertNew stores each (project, trace_id) once and returns only the new ones', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('traces', tracesRepository())
    await repo.init()
    const a = makeRecord('A')
    const b = makeRecord('A')
    t.same((await repo.insertNew([a, b])).map((r) => r.trace_id), [a.trace_id, b.trace_id])
    const c = makeRecord('A')
    t.same((await repo.insertNew([a, c, b])).map((r) => r.trace_id), [c.trace_id], 'a repeated batch inserts only what is new')
    const sameIdOtherProject = { ...a, project_id: 'B' }
    t.equal((await repo.insertNew([sameIdOtherProject])).length, 1, 'the same trace_id in another project is another trace')
    const d = makeRecord('A')
    t.same((await repo.insertNew([d, { ...d }])).map((r) => r.trace_id), [d.trace_id], 'a trace_id repeated inside one batch is stored once')
    t.equal((await repo.list('A', {}, { limit: 100, offset: 0 })).total, 4)
  })

  t.test('two concurrent inserts of the same batch: every trace is reported new exactly once', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('traces', tracesRepository())
    const batch = Array.from({ length: 100 }, () => makeRecord('A'))
    const [x, y] = await Promise.all([repo.insertNew(batch), repo.insertNew(batch.map((r) => ({ ...r })))])
    const ids = [...x, ...y].map((r) => r.trace_id).sort()
    t.same(ids, batch.map((r) => r.trace_id).sort())
  })

  t.test('get is scoped to the project; values round-trip', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('traces', tracesRepository())
    const r = makeRecord('A', { session_id: 's1', metadata: { k: 'v' }, cost_cents: 0.15, input_tokens: 10, output_tokens: 2, ttft_ms: 12.5 })
    await repo.insertNew([r])
    const got = await repo.get('A', r.trace_id)
    t.same(got, r)
    t.ok(got?.timestamp instanceof Date)
    t.equal(got?.cost_cents, 0.15, 'sub-cent cost is kept')
    t.equal(await repo.get('B', r.trace_id), null)
  })

  t.test('a trace with every field set round-trips through get, list and session', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('traces', tracesRepository())
    // Each field a value of its own, so a store that mixed two fields up would fail.
    const r = makeRecord('A', {
      timestamp: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678)),
      received_at: new Date(Date.UTC(2025, 0, 2, 3, 4, 6, 789)),
      expires_at: new Date(Date.UTC(2025, 1, 2)),
      model_used: 'gpt-4o-mini-2024-07-18',
      provider_request_id: 'req_123',
      status: 'error',
      latency_ms: 812.5,
      ttft_ms: 95.25,
      input_tokens: 120,
      output_tokens: 33,
      cache_read_tokens: 64,
      cache_write_tokens: 16,
      output_text: 'Paris "quoted", \\ and ünïcode',
      finish_reason: 'length',
      cost_cents: 0.0375,
      cost_source: 'provider',
      unpriced: false,
      usage_source: 'estimated',
      session_id: 'sess-1',
      request_body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], n: 1 },
      response_body: { id: 'chatcmpl-1', choices: [] },
      error: { type: 'upstream_error', message: 'cut', upstream_status: 502 },
      metadata: { team: 'search', nested: { ok: true, list: [1, null, 'x'] } }
    })
    const every = Object.keys(r).sort()
    t.equal(every.length, 27, 'every field of a stored trace is set in this test')
    await repo.insertNew([r])
    const got = await repo.get('A', r.trace_id)
    t.same(got, r)
    t.same(Object.keys(got ?? {}).sort(), every, 'no field is added or lost')
    t.ok(got?.received_at instanceof Date && got.expires_at instanceof Date)
    t.same((await repo.list('A', {}, { limit: 10, offset: 0 })).traces, [r])
    t.same(await repo.session('A', 'sess-1', 10), [r])
  })

  t.test('list: each filter, newest first, total and paging', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('traces', tracesRepository())
    const base = Date.UTC(2025, 0, 1)
    const records = Array.from({ length: 12 }, (_, i) => makeRecord('A', {
      timestamp: new Date(base + i * H),
      session_id: i % 3 === 0 ? 's0' : 's1',
      provider: i % 2 === 0 ? 'openai' : 'anthropic',
      model_requested: i % 2 === 0 ? 'gpt-4o' : 'claude-3-5-haiku',
      ...(i === 4 ? { model_used: 'gpt-4o-2024-08-06' } : {}),
      status: i % 4 === 0 ? 'error' : 'success'
    }))
    await repo.insertNew([...records, makeRecord('B', { timestamp: new Date(base) })])
    const ids = async (filter: Parameters<typeof repo.list>[1], page = { limit: 100, offset: 0 }) =>
      (await repo.list('A', filter, page)).traces.map((r) => records.findIndex((x) => x.trace_id === r.trace_id))
    t.same(await ids({}), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 'newest first, only the project')
    t.same(await ids({ session_id: 's0' }), [9, 6, 3, 0])
    t.same(await ids({ provider: 'anthropic' }), [11, 9, 7, 5, 3, 1])
    t.same(await ids({ model: 'claude-3-5-haiku' }), [11, 9, 7, 5, 3, 1])
    t.same(await ids({ model: 'gpt-4o-2024-08-06' }), [4], 'model matches model_used too')
    t.same(await ids({ status: 'error' }), [8, 4, 0])
    t.same(await ids({ from: new Date(base + 3 * H), to: new Date(base + 6 * H) }), [5, 4, 3], 'from inclusive, to exclusive')
    t.same(await ids({ provider: 'openai', status: 'error', from: new Date(base + H) }), [8, 4])
    const page = await repo.list('A', {}, { limit: 5, offset: 5 })
    t.equal(page.total, 12)
    t.same(page.traces.map((r) => records.findIndex((x) => x.trace_id === r.trace_id)), [6, 5, 4, 3, 2])
  })

  t.test('session: oldest first, limited, project-scoped', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('traces', tracesRepository())
    const base = Date.UTC(2025, 0, 1)
    const records = [3, 1, 2, 0].map((i) => makeRecord('A', { session_id: 'S', timestamp: new Date(base + i * 1000) }))
    await repo.insertNew([...records, makeRecord('B', { session_id: 'S' })])
    const got = await repo.session('A', 'S', 3)
    t.same(got.map((r) => r.timestamp.getTime() - base), [0, 1000, 2000])
    t.same(await repo.session('C', 'S', 10), [])
  })

  t.test('Mongo indexes back every filter', { skip: backend.name !== 'mongo' && 'Mongo only' }, async (t) => {
    const client = new MongoClient(MONGODB_URL as string)
    const db = client.db(`pulse_test_idx_${process.pid}_${Date.now()}`)
    t.teardown(async () => { await db.dropDatabase(); await client.close() })
    const store = mongoStore({ db })
    t.teardown(() => store.close())
    await store.repository('traces', tracesRepository())
    const keys = (await db.collection('pulse_traces').indexes()).map((i) => Object.keys(i.key))
    for (const field of ['session_id', 'provider', 'model_requested', 'model_used', 'status']) {
      t.ok(keys.some((k) => k[0] === 'project_id' && k[1] === field && k.includes('timestamp')), `index on project_id, ${field}, timestamp`)
    }
    t.ok(keys.some((k) => k[0] === 'project_id' && k[1] === 'timestamp'), 'index on project_id, timestamp (date range, newest first)')
  })

  t.test('retention: sweep removes traces older than traceRetentionDays by an injected clock', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('traces', tracesRepository())
    let clock = new Date(Date.UTC(2025, 5, 10))
    const options = resolveOptions(TracesOptions, { traceRetentionDays: 7 })
    const service = createTracesService({ repo, options, pricing: createPricing(), log: silent, now: () => clock })
    const day = 86_400_000
    const ages = [0, 3, 6.9, 7.1, 30]
    const traces = ages.map((a) => makeTrace({ timestamp: new Date(clock.getTime() - a * day).toISOString() }))
    await service.ingest('P', traces)
    const stored = await repo.get('P', traces[0]!.trace_id)
    t.same(stored?.expires_at, new Date(clock.getTime() + 7 * day), 'expires_at is set for the TTL index')
    t.equal(await service.sweep(), 2)
    t.same((await repo.list('P', {}, { limit: 10, offset: 0 })).traces.length, 3)
    clock = new Date(clock.getTime() + 1 * day)
    t.equal(await service.sweep(), 1, 'the 6.9-day-old trace expires a day later')
    const left = (await repo.list('P', {}, { limit: 10, offset: 0 })).traces.map((r) => r.trace_id).sort()
    t.same(left, [traces[0]!.trace_id, traces[1]!.trace_id].sort())
    const never = createTracesService({ repo, options: resolveOptions(TracesOptions, {}), pricing: createPricing(), log: silent, now: () => new Date(8e15) })
    t.equal(await never.sweep(), 0, 'no retention configured: nothing is swept')
  })

  t.test('rollups: apply adds up, concurrent applies lose nothing, range is [from, to)', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const rollups = await store.repository('rollups', rollupsRepository)
    const base = Date.UTC(2025, 0, 1)
    const recs = Array.from({ length: 40 }, (_, i) => makeRecord('A', {
      timestamp: new Date(base + (i % 4) * H + 60_000),
      status: i % 5 === 0 ? 'error' : 'success',
      input_tokens: 10,
      output_tokens: 5,
      cost_cents: 0.15,
      latency_ms: 50 + i
    }))
    const deltas = rollupDeltas(recs)
    t.equal(deltas.counts.length, 4, 'one count delta per hour/provider/model')
    t.equal(deltas.latency.length, 5, 'one latency delta per hour, and one for the day')
    await Promise.all([rollups.apply(deltas), rollups.apply(rollupDeltas(recs)), rollups.apply(rollupDeltas(recs.slice(0, 4)))])
    const all = await rollups.range('A', new Date(base), new Date(base + 4 * H))
    t.equal(all.length, 4)
    const sum = (f: (r: typeof all[number]) => number) => all.reduce((s, r) => s + f(r), 0)
    t.equal(sum((r) => r.requests), 84)
    t.equal(sum((r) => r.errors), 2 * 8 + 1)
    t.equal(sum((r) => r.inputTokens), 840)
    t.equal(sum((r) => r.costMicroCents), 84 * 150_000)
    const histTotal = (hs: Array<Record<string, number>>) => hs.reduce((n, h) => n + Object.values(h).reduce((a, b) => a + b, 0), 0)
    t.equal(histTotal(await rollups.latency('A', 'hour', new Date(base), new Date(base + 4 * H))), 84, 'every request is in the hour histograms')
    t.equal(histTotal(await rollups.latency('A', 'day', new Date(base), new Date(base + 24 * H))), 84, 'and in the day histogram')
    t.equal(histTotal(await rollups.latency('A', 'hour', new Date(base + H), new Date(base + 2 * H))), 21)
    t.equal((await rollups.range('A', new Date(base + H), new Date(base + 3 * H))).length, 2)
    t.same(await rollups.range('B', new Date(base), new Date(base + 4 * H)), [])
  })

  t.test('record() then app.close() at once: every trace is stored (reopened store on Mongo)', async (t) => {
    const store = backend.makeStore('close-flush')
    const { app } = await build(t, { store, traces: { queue: { batchSize: 50, flushIntervalMs: 60_000, maxSize: 10_000 } } })
    const repo = await store.repository('traces', tracesRepository())
    const traces = Array.from({ length: 230 }, () => ({ ...makeTrace(), project_id: 'P' }))
    t.equal(traces.filter((tr) => app.pulse.traces.record(tr).accepted).length, 230, 'every record() is accepted')
    await app.close()
    t.equal(app.pulse.traces.stats().lost, 0)
    let reader = repo
    if (backend.name === 'mongo') {
      const reopened = backend.makeStore('close-flush')
      t.teardown(() => reopened.close())
      reader = await reopened.repository('traces', tracesRepository())
    }
    const { total } = await reader.list('P', {}, { limit: 1, offset: 0 })
    t.equal(total, 230, 'all 230 traces are stored')
    t.equal(app.pulse.traces.record({ ...makeTrace(), project_id: 'P' }).accepted, false, 'after close, record() refuses')
  })
})
