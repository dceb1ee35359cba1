import { addTo, emptyHistogram, type Histogram } from '../histogram.js'
import {
  COUNT_FIELDS, emptyCounts, latencyId, rollupId,
  type LatencyPeriod, type LatencyRecord, type RollupBatch, type RollupRecord, type RollupsRepository
} from './store.js'

function bucketMap<T> (outer: Map<string, Map<string, T>>, projectId: string) {
  let inner = outer.get(projectId)
  if (inner === undefined) {
    inner = new Map()
    outer.set(projectId, inner)
  }
  return inner
}

export class MemoryRollups implements RollupsRepository {
  private readonly counts = new Map<string, Map<string, RollupRecord>>()
  private readonly hists = new Map<string, Map<string, LatencyRecord>>()

  async init () {}
  async close () {}

  async apply ({ counts, latency }: RollupBatch) {
    for (const d of counts) {
      const project = bucketMap(this.counts, d.projectId)
      const id = rollupId(d)
      let r = project.get(id)
      if (r === undefined) {
        r = { projectId: d.projectId, hour: new Date(d.hour), provider: d.provider, model: d.model, ...emptyCounts() }
        project.set(id, r)
      }
      for (const f of COUNT_FIELDS) r[f] += d[f]
    }
    for (const d of latency) {
      const project = bucketMap(this.hists, d.projectId)
      const id = latencyId(d)
      let r = project.get(id)
      if (r === undefined) {
        r = { projectId: d.projectId, period: d.period, start: new Date(d.start), hist: emptyHistogram() }
        project.set(id, r)
      }
      addTo(r.hist, d.hist)
    }
  }

  async range (projectId: string, from: Date, to: Date) {
    const out: RollupRecord[] = []
    for (const r of this.counts.get(projectId)?.values() ?? []) {
      if (r.hour >= from && r.hour < to) out.push({ ...r, hour: new Date(r.hour) })
    }
    return out
  }

  async latency (projectId: string, period: LatencyPeriod, from: Date, to: Date) {
    const out: Histogram[] = []
    // Callers only read: no copy of the buckets.
    for (const r of this.hists.get(projectId)?.values() ?? []) {
      if (r.period === period && r.start >= from && r.start < to) out.push(r.hist)
    }
    return out
  }
}
