import type { TraceRecord } from '../traces/store/store.js'
import { bucketKey } from './histogram.js'
import { emptyCounts, latencyId, rollupId, type LatencyPeriod, type LatencyRecord, type RollupBatch, type RollupRecord } from './store/store.js'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

export function hourOf (date: Date): Date {
  return new Date(Math.floor(date.getTime() / HOUR_MS) * HOUR_MS)
}

export function dayOf (date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS)
}

/** The model a rollup files a trace under: what the provider ran, else what was asked for. */
export function rollupModel (t: Pick<TraceRecord, 'model_used' | 'model_requested'>): string {
  return t.model_used ?? t.model_requested
}

/** Cost in integer millionths of a cent (see RollupCounts.costMicroCents). */
export function microCents (costCents: number | null | undefined): number {
  return typeof costCents === 'number' && Number.isFinite(costCents) && costCents > 0 ? Math.round(costCents * 1_000_000) : 0
}

type RollupInput = Pick<TraceRecord, 'project_id' | 'timestamp' | 'provider' | 'model_requested' | 'model_used' | 'status' |
  'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_write_tokens' | 'cost_cents' | 'latency_ms'>

/**
 * What a batch of newly stored traces adds to the rollups: counts per (project, hour, provider,
 * model), latency histograms per (project, hour) and (project, day).
 */
export function rollupDeltas (traces: readonly RollupInput[]): RollupBatch {
  const byKey = new Map<string, RollupRecord>()
  const hists = new Map<string, LatencyRecord>()
  const addLatency = (projectId: string, period: LatencyPeriod, start: Date, bucket: string) => {
    const key = { projectId, period, start }
    const id = latencyId(key)
    let h = hists.get(id)
    if (h === undefined) {
      h = { ...key, hist: {} }
      hists.set(id, h)
    }
    h.hist[bucket] = (h.hist[bucket] ?? 0) + 1
  }
  for (const t of traces) {
    const key = { projectId: t.project_id, hour: hourOf(t.timestamp), provider: t.provider, model: rollupModel(t) }
    const id = rollupId(key)
    let d = byKey.get(id)
    if (d === undefined) {
      d = { ...key, ...emptyCounts() }
      byKey.set(id, d)
    }
    d.requests += 1
    if (t.status === 'error') d.errors += 1
    d.inputTokens += t.input_tokens ?? 0
    d.outputTokens += t.output_tokens ?? 0
    d.cacheReadTokens += t.cache_read_tokens ?? 0
    d.cacheWriteTokens += t.cache_write_tokens ?? 0
    d.costMicroCents += microCents(t.cost_cents)
    d.latencySumMs += t.latency_ms
    const b = bucketKey(t.latency_ms)
    addLatency(t.project_id, 'hour', key.hour, b)
    addLatency(t.project_id, 'day', dayOf(t.timestamp), b)
  }
  return { counts: [...byKey.values()], latency: [...hists.values()] }
}
