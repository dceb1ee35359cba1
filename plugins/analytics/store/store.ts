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
  /** Log-scale latency histogram (see ../histogram.ts). */
  hist: Histogram
}

export interface RollupKey {
  projectId: string
  /** Start of the UTC hour. */
  hour: Date
  provider: string
  model: string
}

export type RollupRecord = RollupKey & RollupCounts

export interface RollupsRepository extends Repository {
  /** Add each delta to its rollup, creating it when missing. Safe under concurrent callers. */
  apply(deltas: RollupRecord[]): Promise<void>
  /** A project's rollups with `from ≤ hour < to`. */
  range(projectId: string, from: Date, to: Date): Promise<RollupRecord[]>
}

export function rollupId (k: RollupKey): string {
  return `${k.projectId}|${k.hour.toISOString()}|${k.provider}|${k.model}`
}

export function emptyCounts (): RollupCounts {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costMicroCents: 0, latencySumMs: 0, hist: {} }
}

export const COUNT_FIELDS = ['requests', 'errors', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'costMicroCents', 'latencySumMs'] as const
