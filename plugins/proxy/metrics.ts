import { bucketKey, emptyHistogram, percentiles, type Histogram } from '../analytics/histogram.js'

/**
 * What the proxy itself added to each call (total time minus time spent waiting on the
 * upstream), as a log-scale histogram with ~1 % relative error. Kept in microseconds, because
 * the figures of interest are well under a millisecond.
 */
export class OverheadHistogram {
  private readonly buckets: Histogram = emptyHistogram()
  private count = 0
  private sumUs = 0
  private maxUs = 0

  observe (ms: number): void {
    const us = Math.max(0, ms * 1000)
    const key = bucketKey(us)
    this.buckets[key] = (this.buckets[key] ?? 0) + 1
    this.count++
    this.sumUs += us
    if (us > this.maxUs) this.maxUs = us
  }

  snapshot (): OverheadSnapshot {
    const [p50, p90, p99] = percentiles(this.buckets, [0.5, 0.9, 0.99]).map((v) => (v === null ? null : round(v / 1000)))
    return {
      count: this.count,
      meanMs: this.count === 0 ? null : round(this.sumUs / this.count / 1000),
      p50Ms: p50 ?? null,
      p90Ms: p90 ?? null,
      p99Ms: p99 ?? null,
      maxMs: this.count === 0 ? null : round(this.maxUs / 1000),
      buckets: { ...this.buckets }
    }
  }
}

export interface OverheadSnapshot {
  count: number
  meanMs: number | null
  p50Ms: number | null
  p90Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  /** Sparse `b<i>` → count over microseconds (see plugins/analytics/histogram.ts), for merging across instances. */
  buckets: Record<string, number>
}

function round (ms: number): number {
  return Math.round(ms * 1000) / 1000
}

/** Counters the metrics route (part 2) publishes; plain numbers, cheap to bump on the hot path. */
export class ProxyCounters {
  requests = 0
  streams = 0
  openStreams = 0
  readonly byProvider: Record<string, number> = {}
  readonly byStatus: Record<string, number> = {}
  readonly failureCauses: Record<string, number> = {}

  call (provider: string): void {
    this.requests++
    this.byProvider[provider] = (this.byProvider[provider] ?? 0) + 1
  }

  outcome (status: 'success' | 'error' | 'cancelled', cause?: string): void {
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1
    if (cause !== undefined) this.failureCauses[cause] = (this.failureCauses[cause] ?? 0) + 1
  }
}
