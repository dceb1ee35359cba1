import { addTo, emptyHistogram, percentiles, type Histogram } from './histogram.js'
import type { Analytics, AnalyticsQuery, CostBucket, GroupBy } from './schemas.js'
import type { RollupRecord, RollupsRepository } from './store/store.js'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

export class RangeProblem extends Error {}

/** A date the query may carry: ISO 8601 date (`2025-01-31`) or date-time with a zone. */
function parseDate (name: string, value: string): Date {
  const looksIso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i.test(value)
  const date = new Date(value)
  if (!looksIso || Number.isNaN(date.getTime())) {
    throw new RangeProblem(`${name} is not a valid date: "${value}". Use ISO 8601, e.g. 2025-01-31 or 2025-01-31T12:00:00Z`)
  }
  return date
}

/** The hour-aligned [from, to) the rollups can answer exactly; throws RangeProblem with a clear message. */
export function resolveRange (q: Pick<AnalyticsQuery, 'date_from' | 'date_to'>, maxRangeDays: number) {
  const from = parseDate('date_from', q.date_from)
  const to = parseDate('date_to', q.date_to)
  if (from.getTime() >= to.getTime()) throw new RangeProblem(`date_from (${q.date_from}) must be before date_to (${q.date_to})`)
  if (to.getTime() - from.getTime() > maxRangeDays * DAY_MS) {
    const days = Math.ceil((to.getTime() - from.getTime()) / DAY_MS)
    throw new RangeProblem(`The range spans ${days} days; at most ${maxRangeDays} days may be queried at once (option analytics.maxRangeDays)`)
  }
  return {
    from: new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS),
    to: new Date(Math.ceil(to.getTime() / HOUR_MS) * HOUR_MS)
  }
}

function bucketOf (r: RollupRecord, groupBy: GroupBy): string {
  switch (groupBy) {
    case 'hour': return r.hour.toISOString()
    case 'day': return new Date(Math.floor(r.hour.getTime() / DAY_MS) * DAY_MS).toISOString()
    case 'model': return r.model
    case 'provider': return r.provider
  }
}

const avg = (sum: number, n: number) => (n === 0 ? null : sum / n)

/**
 * The latency histograms covering [from, to): whole UTC days from the day histograms, the
 * partial days at either end from the hour histograms. Bounded by days + 2 × 23 documents.
 */
export async function latencyHistograms (rollups: RollupsRepository, projectId: string, from: Date, to: Date): Promise<Histogram[]> {
  const firstDay = Math.ceil(from.getTime() / DAY_MS) * DAY_MS
  const lastDay = Math.floor(to.getTime() / DAY_MS) * DAY_MS
  if (firstDay >= lastDay) return rollups.latency(projectId, 'hour', from, to)
  const [head, days, tail] = await Promise.all([
    from.getTime() < firstDay ? rollups.latency(projectId, 'hour', from, new Date(firstDay)) : [],
    rollups.latency(projectId, 'day', new Date(firstDay), new Date(lastDay)),
    lastDay < to.getTime() ? rollups.latency(projectId, 'hour', new Date(lastDay), to) : []
  ])
  return [...head, ...days, ...tail]
}

/** The figures of GET /analytics from rollups alone: cost grows with hours × models and days, never with traces. */
export function summarize (rollups: RollupRecord[], histograms: Histogram[], groupBy: GroupBy): Analytics {
  let requests = 0
  let errors = 0
  let tokens = 0
  let micro = 0
  let latencySum = 0
  const hist = emptyHistogram()
  const buckets = new Map<string, { requests: number, errors: number, inputTokens: number, outputTokens: number, micro: number, latencySum: number }>()
  for (const r of rollups) {
    requests += r.requests
    errors += r.errors
    tokens += r.inputTokens + r.outputTokens
    micro += r.costMicroCents
    latencySum += r.latencySumMs
    const key = bucketOf(r, groupBy)
    let b = buckets.get(key)
    if (b === undefined) {
      b = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, micro: 0, latencySum: 0 }
      buckets.set(key, b)
    }
    b.requests += r.requests
    b.errors += r.errors
    b.inputTokens += r.inputTokens
    b.outputTokens += r.outputTokens
    b.micro += r.costMicroCents
    b.latencySum += r.latencySumMs
  }
  for (const h of histograms) addTo(hist, h)
  const [p50, p95, p99] = percentiles(hist, [0.5, 0.95, 0.99])
  const timeOrdered = groupBy === 'hour' || groupBy === 'day'
  const costOverTime: CostBucket[] = [...buckets.entries()]
    .map(([bucket, b]) => ({
      bucket,
      requests: b.requests,
      errors: b.errors,
      inputTokens: b.inputTokens,
      outputTokens: b.outputTokens,
      costCents: b.micro / 1_000_000,
      avgLatency: avg(b.latencySum, b.requests)
    }))
    // Time buckets in time order; models and providers by cost, the most expensive first.
    .sort((a, b) => timeOrdered ? (a.bucket < b.bucket ? -1 : 1) : (b.costCents - a.costCents || (a.bucket < b.bucket ? -1 : 1)))
  return {
    totalCost: micro / 1_000_000,
    totalTokens: tokens,
    avgLatency: avg(latencySum, requests),
    latency: { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null },
    errorRate: requests === 0 ? 0 : (errors / requests) * 100,
    costOverTime
  }
}

export interface AnalyticsService {
  query(projectId: string, q: AnalyticsQuery): Promise<Analytics>
}

export function createAnalyticsService (deps: { rollups: RollupsRepository, maxRangeDays: number }): AnalyticsService {
  return {
    async query (projectId, q) {
      const { from, to } = resolveRange(q, deps.maxRangeDays)
      const [counts, histograms] = await Promise.all([
        deps.rollups.range(projectId, from, to),
        latencyHistograms(deps.rollups, projectId, from, to)
      ])
      return summarize(counts, histograms, q.group_by)
    }
  }
}
