import t from 'tap'
import { bucketIndex, bucketKey } from '../../plugins/analytics/histogram.js'
import { microCents, rollupDeltas, rollupModel } from '../../plugins/analytics/rollup.js'
import type { RollupBatch } from '../../plugins/analytics/store/store.js'

type Input = Parameters<typeof rollupDeltas>[0][number]

/** A small deterministic PRNG (mulberry32): the same traces on every run. */
function rng (seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** The rollup of each trace on its own, merged by key: what rollupDeltas must equal for any order. */
function reference (traces: Input[]) {
  const counts = new Map<string, Record<string, unknown>>()
  const hists = new Map<string, Record<string, number>>()
  for (const tr of traces) {
    const { counts: [c], latency } = rollupDeltas([tr]) as RollupBatch
    const key = `${c!.projectId}|${c!.hour.toISOString()}|${c!.provider}|${c!.model}`
    const have = counts.get(key) as Record<string, number> | undefined
    if (have === undefined) counts.set(key, { ...c })
    else for (const f of ['requests', 'errors', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'costMicroCents', 'latencySumMs']) have[f]! += (c as unknown as Record<string, number>)[f]!
    for (const l of latency) {
      const k = `${l.projectId}|${l.period}|${l.start.toISOString()}`
      const h = hists.get(k) ?? {}
      for (const [b, n] of Object.entries(l.hist)) h[b] = (h[b] ?? 0) + n
      hists.set(k, h)
    }
  }
  return { counts, hists }
}

t.test('a batch rolls up the same as its traces one by one, whatever their order', async (t) => {
  const r = rng(7)
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!
  const base = Date.UTC(2026, 10, 30, 22, 0, 0)
  for (let round = 0; round < 50; round++) {
    const traces: Input[] = Array.from({ length: 1 + Math.floor(r() * 60) }, () => {
      // Runs of one key broken by others: the cases where the previous trace's entry must not be reused.
      const model = pick(['gpt-4o-mini', 'claude-3-5-haiku', 'gpt-4o'])
      return {
        project_id: pick(['p1', 'p2']),
        // Across midnight: hours of two days, and an hour that starts when its day does.
        timestamp: new Date(base + Math.floor(r() * 4) * 3_600_000 + Math.floor(r() * 3_600_000)),
        provider: pick(['openai', 'anthropic']),
        model_requested: model,
        model_used: r() < 0.5 ? undefined : `${model}-2024`,
        status: r() < 0.2 ? 'error' : 'success',
        input_tokens: Math.floor(r() * 100),
        output_tokens: r() < 0.1 ? undefined : Math.floor(r() * 100),
        cache_read_tokens: Math.floor(r() * 10),
        cache_write_tokens: 0,
        cost_cents: r() < 0.3 ? undefined : r() / 100,
        latency_ms: r() < 0.1 ? 0.5 : r() * 5000
      }
    })
    const got = rollupDeltas(traces)
    const want = reference(traces)
    const gotCounts = new Map(got.counts.map((c) => [`${c.projectId}|${c.hour.toISOString()}|${c.provider}|${c.model}`, { ...c }]))
    t.same(gotCounts, want.counts, `counts, round ${round}`)
    const gotHists = new Map(got.latency.map((l) => [`${l.projectId}|${l.period}|${l.start.toISOString()}`, l.hist]))
    t.same(gotHists, want.hists, `latency histograms, round ${round}`)
    t.equal(got.counts.reduce((n, c) => n + c.requests, 0), traces.length, 'every trace counted once')
    t.equal(got.counts.reduce((n, c) => n + c.costMicroCents, 0), traces.reduce((n, tr) => n + microCents(tr.cost_cents), 0))
    t.ok(got.counts.every((c) => traces.some((tr) => rollupModel(tr) === c.model)))
  }
})

t.test('bucket keys name their bucket, beyond the precomputed ones too', async (t) => {
  for (const ms of [0, 0.5, 1, 1.01, 250, 3_600_000, 1e8, 1e12, Number.MAX_VALUE]) t.equal(bucketKey(ms), `b${bucketIndex(ms)}`, `${ms} ms`)
})
