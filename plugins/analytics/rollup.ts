import type { TraceRecord } from '../traces/store/store.js'
import { bucketKey, emptyHistogram } from './histogram.js'
import { emptyCounts, type LatencyPeriod, type LatencyRecord, type RollupBatch, type RollupRecord } from './store/store.js'

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
  // Local map keys use epoch milliseconds: no Date or ISO string per trace, only per new entry.
  const byKey = new Map<string, RollupRecord>()
  const hists = new Map<string, LatencyRecord>()
  const histogram = (projectId: string, period: LatencyPeriod, startMs: number, last: LatencyRecord | undefined) => {
    // A batch is mostly one project's traces of one hour: the previous trace's entry, without
    // building and hashing its key again.
    if (last !== undefined && last.projectId === projectId && last.start.getTime() === startMs) return last
    const id = `${projectId}|${period}|${startMs}`
    let h = hists.get(id)
    if (h === undefined) {
      h = { projectId, period, start: new Date(startMs), hist: emptyHistogram() }
      hists.set(id, h)
    }
    return h
  }
  let d: RollupRecord | undefined
  let hour: LatencyRecord | undefined
  let day: LatencyRecord | undefined
  for (const t of traces) {
    const ms = t.timestamp.getTime()
    const hourMs = Math.floor(ms / HOUR_MS) * HOUR_MS
    const model = rollupModel(t)
    if (d === undefined || d.projectId !== t.project_id || d.hour.getTime() !== hourMs || d.provider !== t.provider || d.model !== model) {
      const id = `${t.project_id}|${hourMs}|${t.provider}|${model}`
      d = byKey.get(id)
      if (d === undefined) {
        d = { projectId: t.project_id, hour: new Date(hourMs), provider: t.provider, model, ...emptyCounts() }
        byKey.set(id, d)
      }
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
    hour = histogram(t.project_id, 'hour', hourMs, hour)
    day = histogram(t.project_id, 'day', Math.floor(ms / DAY_MS) * DAY_MS, day)
    hour.hist[b] = (hour.hist[b] ?? 0) + 1
    day.hist[b] = (day.hist[b] ?? 0) + 1
  }
  return { counts: [...byKey.values()], latency: [...hists.values()] }
}
