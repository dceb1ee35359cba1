import t from 'tap'
import { bearer, build, createProject } from '../helpers/app.js'
import { eachBackend } from '../helpers/backends.js'
import { makeTrace, postBatch } from '../helpers/traces.js'
import type { Trace } from '../../plugins/traces/schemas.js'
import { RELATIVE_ERROR, nearestRank } from '../../plugins/analytics/histogram.js'

const H = 3_600_000
const DAY = 24 * H
const BASE = Date.UTC(2025, 3, 1)

/** Deterministic pseudo-random numbers, so a failure reproduces. */
function rng (seed: number) {
  let s = seed >>> 0
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 }
}

function dataset (n: number, seed: number): Trace[] {
  const r = rng(seed)
  const models: Array<[string, string]> = [['openai', 'gpt-4o'], ['openai', 'gpt-4o-mini'], ['anthropic', 'claude-3-5-haiku'], ['openrouter', 'meta/llama']]
  return Array.from({ length: n }, () => {
    const [provider, model] = models[Math.floor(r() * models.length)]!
    const status = r() < 0.1 ? 'error' : r() < 0.05 ? 'cancelled' : 'success'
    return makeTrace({
      timestamp: new Date(BASE + Math.floor(r() * 3 * DAY)).toISOString(),
      provider,
      model_requested: model,
      status,
      input_tokens: Math.floor(r() * 2000),
      output_tokens: Math.floor(r() * 500),
      cost_cents: Math.round(r() * 100_000) / 100_000,
      // Long-tailed latencies, fractional, from 1 ms to ~60 s.
      latency_ms: Math.exp(r() * Math.log(60_000)) + r()
    })
  })
}

interface Bucket { bucket: string, requests: number, errors: number, inputTokens: number, outputTokens: number, costCents: number, avgLatency: number | null }

/** Every figure of GET /analytics, computed straight from the raw traces. */
function expected (traces: Trace[], from: number, to: number, groupBy: string) {
  const inRange = traces.filter((x) => { const ts = Date.parse(x.timestamp); return ts >= from && ts < to })
  const keyOf = (x: Trace) => {
    const ts = Date.parse(x.timestamp)
    if (groupBy === 'hour') return new Date(Math.floor(ts / H) * H).toISOString()
    if (groupBy === 'day') return new Date(Math.floor(ts / DAY) * DAY).toISOString()
    return groupBy === 'model' ? (x.model_used ?? x.model_requested) : x.provider
  }
  const buckets = new Map<string, Trace[]>()
  for (const x of inRange) buckets.set(keyOf(x), [...(buckets.get(keyOf(x)) ?? []), x])
  const sum = (xs: Trace[], f: (x: Trace) => number) => xs.reduce((s, x) => s + f(x), 0)
  const lat = inRange.map((x) => x.latency_ms).sort((a, b) => a - b)
  const pct = (p: number) => (lat.length === 0 ? null : lat[nearestRank(p, lat.length) - 1]!)
  return {
    totalCost: sum(inRange, (x) => x.cost_cents ?? 0),
    totalTokens: sum(inRange, (x) => (x.input_tokens ?? 0) + (x.output_tokens ?? 0)),
    avgLatency: lat.length === 0 ? null : sum(inRange, (x) => x.latency_ms) / lat.length,
    latency: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) },
    errorRate: inRange.length === 0 ? 0 : (inRange.filter((x) => x.status === 'error').length / inRange.length) * 100,
    buckets: new Map([...buckets].map(([k, xs]) => [k, {
      bucket: k,
      requests: xs.length,
      errors: xs.filter((x) => x.status === 'error').length,
      inputTokens: sum(xs, (x) => x.input_tokens ?? 0),
      outputTokens: sum(xs, (x) => x.output_tokens ?? 0),
      costCents: sum(xs, (x) => x.cost_cents ?? 0),
      avgLatency: sum(xs, (x) => x.latency_ms) / xs.length
    } satisfies Bucket]))
  }
}

const close = (a: number | null, b: number | null, eps = 1e-6) => a !== null && b !== null && Math.abs(a - b) <= eps * Math.max(1, Math.abs(b))

eachBackend(t, async (t, backend) => {
  t.test('every figure matches the same figure computed from the raw traces', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { apiKey } = await createProject(app)
    const other = await createProject(app, 'other')
    const traces = dataset(1500, 42)
    for (let i = 0; i < traces.length; i += 100) t.equal((await postBatch(app, apiKey, traces.slice(i, i + 100))).statusCode, 202)
    // Noise in another project, and a resent batch: neither may change the figures.
    await postBatch(app, other.apiKey, dataset(100, 7))
    await postBatch(app, apiKey, traces.slice(0, 100))

    const ranges: Array<[number, number]> = [[BASE, BASE + 3 * DAY], [BASE + 5 * H, BASE + 30 * H], [BASE - DAY, BASE + 10 * DAY]]
    for (const [from, to] of ranges) {
      for (const groupBy of ['hour', 'day', 'model', 'provider']) {
        const label = `${new Date(from).toISOString()}…${new Date(to).toISOString()} by ${groupBy}`
        const res = await app.inject({
          url: `/v1/analytics?date_from=${new Date(from).toISOString()}&date_to=${new Date(to).toISOString()}&group_by=${groupBy}`,
          headers: bearer(apiKey)
        })
        t.equal(res.statusCode, 200, label)
        const got = res.json().data
        const want = expected(traces, from, to, groupBy)
        t.same(Object.keys(got).sort(), ['avgLatency', 'costOverTime', 'errorRate', 'latency', 'totalCost', 'totalTokens'], `${label}: exactly the documented fields`)
        t.ok(close(got.totalCost, want.totalCost), `${label}: totalCost ${got.totalCost} vs ${want.totalCost}`)
        t.equal(got.totalTokens, want.totalTokens, `${label}: totalTokens`)
        t.ok(close(got.avgLatency, want.avgLatency), `${label}: avgLatency`)
        t.ok(close(got.errorRate, want.errorRate), `${label}: errorRate`)
        for (const p of ['p50', 'p95', 'p99'] as const) {
          const w = want.latency[p]!
          t.ok(Math.abs(got.latency[p] - w) <= RELATIVE_ERROR * w + 1e-9, `${label}: ${p} ${got.latency[p]} within ${RELATIVE_ERROR * 100}% of ${w}`)
        }
        t.equal(got.costOverTime.length, want.buckets.size, `${label}: one entry per non-empty bucket`)
        for (const b of got.costOverTime as Bucket[]) {
          const w = want.buckets.get(b.bucket)
          if (w === undefined) { t.fail(`${label}: unexpected bucket ${b.bucket}`); continue }
          t.same([b.requests, b.errors, b.inputTokens, b.outputTokens], [w.requests, w.errors, w.inputTokens, w.outputTokens], `${label}: ${b.bucket} counts`)
          t.ok(close(b.costCents, w.costCents) && close(b.avgLatency, w.avgLatency), `${label}: ${b.bucket} cost and latency`)
        }
        if (groupBy === 'hour' || groupBy === 'day') {
          const order = (got.costOverTime as Bucket[]).map((b) => b.bucket)
          t.same(order, [...order].sort(), `${label}: time buckets in time order`)
        }
      }
    }
  })

  t.test('an empty range answers zeros and nulls', async (t) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { apiKey } = await createProject(app)
    const res = await app.inject({ url: '/v1/analytics?date_from=2020-01-01&date_to=2020-01-02', headers: bearer(apiKey) })
    t.same(res.json().data, { totalCost: 0, totalTokens: 0, avgLatency: null, latency: { p50: null, p95: null, p99: null }, errorRate: 0, costOverTime: [] })
  })
})

t.test('bad ranges are 400s with clear messages', async (t) => {
  const { app } = await build(t, { analytics: { maxRangeDays: 31 } })
  const { apiKey } = await createProject(app)
  const cases: Array<[string, string, RegExp]> = [
    ['from after to', 'date_from=2025-02-01&date_to=2025-01-01', /date_from .* must be before date_to/],
    ['from equals to', 'date_from=2025-01-01&date_to=2025-01-01', /must be before/],
    ['unparsable from', 'date_from=yesterday&date_to=2025-01-01', /date_from is not a valid date/],
    ['unparsable to', 'date_from=2025-01-01&date_to=2025-13-45', /date_to is not a valid date/],
    ['range too large', 'date_from=2025-01-01&date_to=2025-03-01', /59 days; at most 31 days/],
    ['missing date_to', 'date_from=2025-01-01', /date_to/],
    ['bad group_by', 'date_from=2025-01-01&date_to=2025-01-02&group_by=week', /group_by/]
  ]
  for (const [name, qs, message] of cases) {
    const res = await app.inject({ url: `/v1/analytics?${qs}`, headers: bearer(apiKey) })
    t.equal(res.statusCode, 400, name)
    t.equal(res.json().error.code, 'PULSE_VALIDATION', name)
    t.match(res.json().error.message, message, name)
  }
  t.equal((await app.inject({ url: '/v1/analytics?date_from=2025-01-01&date_to=2025-01-31' })).statusCode, 401, 'needs credentials')
})

t.test('analytics reads rollups, never raw traces', async (t) => {
  const { app } = await build(t)
  const { apiKey, projectId } = await createProject(app)
  await postBatch(app, apiKey, [makeTrace({ timestamp: new Date(BASE).toISOString(), cost_cents: 2 })])
  // Remove the raw trace behind the service's back: the figure must not change.
  t.equal(await app.pulse.traces.get(projectId, (await app.inject({ url: '/v1/traces', headers: bearer(apiKey) })).json().data.traces[0].trace_id) !== null, true)
  const repo = await app.pulse.store.repository('traces', (await import('../../plugins/traces/store/index.js')).tracesRepository())
  t.equal(await repo.deleteBefore(new Date(BASE + DAY)), 1)
  const res = await app.inject({ url: `/v1/analytics?date_from=${new Date(BASE).toISOString()}&date_to=${new Date(BASE + DAY).toISOString()}`, headers: bearer(apiKey) })
  t.equal(res.json().data.totalCost, 2)
})
