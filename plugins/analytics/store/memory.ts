import { addTo } from '../histogram.js'
import { COUNT_FIELDS, emptyCounts, rollupId, type RollupRecord, type RollupsRepository } from './store.js'

export class MemoryRollups implements RollupsRepository {
  private readonly byProject = new Map<string, Map<string, RollupRecord>>()

  async init () {}
  async close () {}

  async apply (deltas: RollupRecord[]) {
    for (const d of deltas) {
      let project = this.byProject.get(d.projectId)
      if (project === undefined) {
        project = new Map()
        this.byProject.set(d.projectId, project)
      }
      const id = rollupId(d)
      let r = project.get(id)
      if (r === undefined) {
        r = { projectId: d.projectId, hour: new Date(d.hour), provider: d.provider, model: d.model, ...emptyCounts() }
        project.set(id, r)
      }
      for (const f of COUNT_FIELDS) r[f] += d[f]
      addTo(r.hist, d.hist)
    }
  }

  async range (projectId: string, from: Date, to: Date) {
    const out: RollupRecord[] = []
    for (const r of this.byProject.get(projectId)?.values() ?? []) {
      if (r.hour >= from && r.hour < to) out.push({ ...r, hour: new Date(r.hour), hist: { ...r.hist } })
    }
    return out
  }
}
