/**
 * A log-scale latency histogram (the DDSketch mapping): bucket i holds latencies in
 * (γ^(i-1), γ^i] ms and reports 2γ^i/(γ+1), so every percentile it answers is within
 * RELATIVE_ERROR of the true value of the same rank, for latencies ≥ 1 ms. Latencies
 * ≤ 1 ms share bucket 0 and are reported as 1 ms (absolute error < 1 ms).
 *
 * Buckets are stored sparsely as `{ b<i>: count }`: a key is a valid Mongo field name, and
 * merging two histograms is adding counts, which `$inc` does atomically.
 */

export const RELATIVE_ERROR = 0.01
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
const LOG_GAMMA = Math.log(GAMMA)

export type Histogram = Record<string, number>

export function bucketIndex (latencyMs: number): number {
  if (!(latencyMs > 1)) return 0
  return Math.ceil(Math.log(latencyMs) / LOG_GAMMA)
}

// Keys of the buckets latencies of up to ~10^8 ms fall in, made once (one per rolled-up trace otherwise).
const KEYS = Array.from({ length: 1000 }, (_, i) => `b${i}`)

export function bucketKey (latencyMs: number): string {
  const i = bucketIndex(latencyMs)
  return KEYS[i] ?? `b${i}`
}

export function bucketValue (index: number): number {
  return index <= 0 ? 1 : (2 * GAMMA ** index) / (GAMMA + 1)
}

/**
 * A histogram to add buckets to. Without a prototype, V8 keeps it as a dictionary from the start:
 * bucket keys added to a plain `{}` in the order latencies happen to come in make a new hidden
 * class per order, shared with every other `{}` of the process, and that lookup was most of the
 * rollup's cost under load (≈ 1.9 µs a trace in a CPU profile of the proxy benchmark, 0.5 after).
 */
export function emptyHistogram (): Histogram {
  return Object.create(null) as Histogram
}

/** Adds `source`'s counts into `target`; returns `target`. */
export function addTo (target: Histogram, source: Histogram): Histogram {
  for (const [k, n] of Object.entries(source)) target[k] = (target[k] ?? 0) + n
  return target
}

/** 1-based rank of the p-th percentile among n values; the epsilon keeps 0.95 × 100 at 95, not 96. */
export function nearestRank (p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(p * n - 1e-9)))
}

/**
 * Nearest-rank percentiles (the value of rank ⌈p·n⌉ in ascending order) for each p in `ps`
 * (0 < p ≤ 1); null when the histogram is empty.
 */
export function percentiles (hist: Histogram, ps: number[]): Array<number | null> {
  const buckets = Object.entries(hist)
    .map(([k, n]) => [Number(k.slice(1)), n] as const)
    .filter(([i, n]) => Number.isInteger(i) && n > 0)
    .sort((a, b) => a[0] - b[0])
  const total = buckets.reduce((sum, [, n]) => sum + n, 0)
  if (total === 0) return ps.map(() => null)
  return ps.map((p) => {
    const rank = nearestRank(p, total)
    let seen = 0
    for (const [i, n] of buckets) {
      seen += n
      if (seen >= rank) return bucketValue(i)
    }
    return bucketValue(buckets[buckets.length - 1]![0])
  })
}
