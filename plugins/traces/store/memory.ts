import type { TraceFilter, TraceRecord, TracesRepository } from './store.js'

const copy = <T>(value: T): T => structuredClone(value)

export function matches (t: TraceRecord, f: TraceFilter): boolean {
  return (f.session_id === undefined || t.session_id === f.session_id) &&
    (f.provider === undefined || t.provider === f.provider) &&
    (f.model === undefined || t.model_requested === f.model || t.model_used === f.model) &&
    (f.status === undefined || t.status === f.status) &&
    (f.from === undefined || t.timestamp >= f.from) &&
    (f.to === undefined || t.timestamp < f.to)
}

export const newestFirst = (a: TraceRecord, b: TraceRecord) =>
  b.timestamp.getTime() - a.timestamp.getTime() || (a.trace_id < b.trace_id ? 1 : a.trace_id > b.trace_id ? -1 : 0)

export class MemoryTraces implements TracesRepository {
  private readonly byProject = new Map<string, Map<string, TraceRecord>>()

  async init () {}
  async close () {}
  async enableTtl () { return false }

  private project (projectId: string) {
    let traces = this.byProject.get(projectId)
    if (traces === undefined) {
      traces = new Map()
      this.byProject.set(projectId, traces)
    }
    return traces
  }

  async insertNew (traces: TraceRecord[]) {
    // Synchronous check-and-set: two concurrent batches cannot both insert the same trace.
    const inserted: TraceRecord[] = []
    for (const trace of traces) {
      const project = this.project(trace.project_id)
      if (project.has(trace.trace_id)) continue
      // Records are built fresh by the service and never mutated afterwards: no copy needed here.
      project.set(trace.trace_id, trace)
      inserted.push(trace)
    }
    return inserted
  }

  async remove (traces: Array<Pick<TraceRecord, 'project_id' | 'trace_id'>>) {
    for (const { project_id: projectId, trace_id: traceId } of traces) this.byProject.get(projectId)?.delete(traceId)
  }

  async get (projectId: string, traceId: string) {
    const found = this.byProject.get(projectId)?.get(traceId)
    return found === undefined ? null : copy(found)
  }

  async list (projectId: string, filter: TraceFilter, { limit, offset }: { limit: number, offset: number }) {
    const all = [...(this.byProject.get(projectId)?.values() ?? [])].filter((t) => matches(t, filter)).sort(newestFirst)
    return { traces: all.slice(offset, offset + limit).map(copy), total: all.length }
  }

  async session (projectId: string, sessionId: string, limit: number) {
    const all = [...(this.byProject.get(projectId)?.values() ?? [])].filter((t) => t.session_id === sessionId)
    return all.sort((a, b) => newestFirst(b, a)).slice(0, limit).map(copy)
  }

  async deleteBefore (cutoff: Date) {
    let removed = 0
    for (const traces of this.byProject.values()) {
      for (const [id, t] of traces) {
        if (t.timestamp < cutoff) {
          traces.delete(id)
          removed++
        }
      }
    }
    return removed
  }
}
