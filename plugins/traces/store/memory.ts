import type { TraceFilter, TraceRecord, TracesRepository } from './store.js'

/** The JSON fields of a trace; everything else is a scalar or a Date. */
type BodyKey = 'request_body' | 'response_body' | 'error' | 'metadata'
// The order of `Stored.bodies`.
const BODY_KEYS: readonly BodyKey[] = ['request_body', 'response_body', 'error', 'metadata']

/** Every scalar field of a trace, present on each stored trace (undefined when the trace has none). */
// Mapped over a union of keys, not `keyof`: every key is required, optional ones typed `… | undefined`.
type Fields = { [K in Exclude<keyof TraceRecord, BodyKey>]: TraceRecord[K] }

/**
 * A trace as this store holds it: one object, the scalars as they are and the JSON fields as one
 * JSON text. Every trace is kept (bodies included), and a body as a tree of small objects is
 * what made the heap large and garbage collection slow under load (each one is traced by every
 * collection, and copied while young); one string per trace costs one stringify on insert and a
 * parse on read. One object, not scalars and text side by side: each kept object costs a copy
 * when it is promoted and a visit in every full collection.
 */
type Stored = Fields & {
  /** `[request_body, response_body, error, metadata]`, absent ones as null; undefined when none. */
  bodies: string | undefined
}

function pack (t: TraceRecord): Stored {
  // One object literal of one shape: the type makes it name every field (adding one to the trace
  // schema fails to compile until it is here), and it is an order of magnitude cheaper than
  // copying with for-in (≈ 0.7 µs a trace). Records are built fresh by the service and never
  // changed afterwards: Dates are not copied.
  const { request_body: req, response_body: res, error, metadata } = t
  const any = req !== undefined || res !== undefined || error !== undefined || metadata !== undefined
  return {
    project_id: t.project_id,
    trace_id: t.trace_id,
    timestamp: t.timestamp,
    received_at: t.received_at,
    expires_at: t.expires_at,
    provider: t.provider,
    model_requested: t.model_requested,
    model_used: t.model_used,
    provider_request_id: t.provider_request_id,
    status: t.status,
    latency_ms: t.latency_ms,
    ttft_ms: t.ttft_ms,
    input_tokens: t.input_tokens,
    output_tokens: t.output_tokens,
    cache_read_tokens: t.cache_read_tokens,
    cache_write_tokens: t.cache_write_tokens,
    output_text: t.output_text,
    finish_reason: t.finish_reason,
    cost_cents: t.cost_cents,
    cost_source: t.cost_source,
    unpriced: t.unpriced,
    usage_source: t.usage_source,
    session_id: t.session_id,
    bodies: any ? JSON.stringify([req ?? null, res ?? null, error ?? null, metadata ?? null]) : undefined
  }
}

/** A fresh record for a reader: callers may change what they get without touching the store. */
function unpack (s: Stored): TraceRecord {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(s)) {
    if (k !== 'bodies' && v !== undefined) out[k] = v instanceof Date ? new Date(v.getTime()) : v
  }
  if (s.bodies !== undefined) {
    const values = JSON.parse(s.bodies) as unknown[]
    BODY_KEYS.forEach((k, i) => { if (values[i] !== null) out[k] = values[i] })
  }
  return out as TraceRecord
}

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

/** Traces the memory store keeps per project by default (`traces.memoryMaxTraces`). */
export const DEFAULT_MEMORY_MAX_TRACES = 100_000

export class MemoryTraces implements TracesRepository {
  readonly inProcess: boolean = true
  private readonly byProject = new Map<string, Map<string, Stored>>()
  private readonly maxPerProject: number
  /**
   * Per project, an iterator over its trace ids kept from one eviction to the next. A Map keeps
   * insertion order, so the next id is the oldest stored; a fresh iterator would walk past every
   * entry deleted at the front before it, each time.
   */
  private readonly oldest = new Map<string, Iterator<string>>()

  /** @param maxPerProject traces kept per project; storing one more drops the oldest stored */
  constructor (maxPerProject: number = DEFAULT_MEMORY_MAX_TRACES) {
    this.maxPerProject = maxPerProject
  }

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
      project.set(trace.trace_id, pack(trace))
      inserted.push(trace)
      if (project.size > this.maxPerProject) this.dropOldest(trace.project_id, project)
    }
    return inserted
  }

  private dropOldest (projectId: string, project: Map<string, Stored>) {
    let ids = this.oldest.get(projectId)
    if (ids === undefined) {
      ids = project.keys()
      this.oldest.set(projectId, ids)
    }
    // Never done: every id behind the iterator was dropped or removed, so the project's traces,
    // the one just stored among them, are all ahead of it; the first is the oldest stored.
    const next = ids.next()
    if (next.done !== true) project.delete(next.value)
  }

  async remove (traces: Array<Pick<TraceRecord, 'project_id' | 'trace_id'>>) {
    for (const { project_id: projectId, trace_id: traceId } of traces) this.byProject.get(projectId)?.delete(traceId)
  }

  async get (projectId: string, traceId: string) {
    const found = this.byProject.get(projectId)?.get(traceId)
    return found === undefined ? null : unpack(found)
  }

  async list (projectId: string, filter: TraceFilter, { limit, offset }: { limit: number, offset: number }) {
    const all = [...(this.byProject.get(projectId)?.values() ?? [])].filter((t) => matches(t, filter)).sort(newestFirst)
    return { traces: all.slice(offset, offset + limit).map(unpack), total: all.length }
  }

  async session (projectId: string, sessionId: string, limit: number) {
    const all = [...(this.byProject.get(projectId)?.values() ?? [])].filter((t) => t.session_id === sessionId)
    return all.sort((a, b) => newestFirst(b, a)).slice(0, limit).map(unpack)
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
