import type { Repository } from '../../../lib/store/types.js'
import type { Histogram } from '../histogram.js'

/** The additive part of a rollup: what one batch of traces adds to one (project, hour, provider, model). */
export interface RollupCounts {
  requests: number
  errors: number
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  /** Cost in millionths of a cent, an integer: sums stay exact whatever the order of `$inc`s. */
  costMicroCents: number
  latencySumMs: number
}

export interface RollupKey {
  projectId: string
  /** Start of the UTC hour. */
  hour: Date
  provider: string
  model: string
}

export type RollupRecord = RollupKey & RollupCounts

export type LatencyPeriod = 'hour' | 'day'

/**
 * The log-scale latency histogram of a project's traces over one UTC hour or day, all
 * providers and models together. Kept apart from the counts, and per day as well as per hour,
 * so that a query's percentile work is bounded by days × buckets: a per-(hour, model)
 * histogram fills up with the trace count and would make analytics slower as traces grow.
 */
export interface LatencyRecord {
  projectId: string
  period: LatencyPeriod
  start: Date
  hist: Histogram
}

export interface RollupBatch {
  counts: RollupRecord[]
  latency: LatencyRecord[]
}

export interface RollupsRepository extends Repository {
  /** Add every delta to its rollup, creating it when missing. Safe under concurrent callers. */
  apply(batch: RollupBatch): Promise<void>
  /** A project's count rollups with `from ≤ hour < to`. */
  range(projectId: string, from: Date, to: Date): Promise<RollupRecord[]>
  /** A project's latency histograms of one period kind with `from ≤ start < to`. */
  latency(projectId: string, period: LatencyPeriod, from: Date, to: Date): Promise<Histogram[]>
}

export function rollupId (k: RollupKey): string {
  return `${k.projectId}|${k.hour.toISOString()}|${k.provider}|${k.model}`
}

export function latencyId (k: Omit<LatencyRecord, 'hist'>): string {
  return `${k.projectId}|${k.period}|${k.start.toISOString()}`
}

export function emptyCounts (): RollupCounts {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costMicroCents: 0, latencySumMs: 0 }
}

export const COUNT_FIELDS = ['requests', 'errors', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'costMicroCents', 'latencySumMs'] as const
