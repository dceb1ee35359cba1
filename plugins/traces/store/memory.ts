import type { TraceFilter, TraceRecord, TracesRepository } from './store.js'

/** The fields list() filters and sorts on: kept as properties of the stored trace. */
type IndexKey = 'project_id' | 'trace_id' | 'timestamp' | 'provider' | 'model_requested' | 'model_used' | 'status' | 'session_id'
/** Every other field, kept inside one JSON text. */
type RestKey = Exclude<keyof TraceRecord, IndexKey>

// Every other field, by name: a Record, so a field added to the trace schema fails to compile
// here until it is named.
const REST: Record<RestKey, true> = {
  received_at: true,
  expires_at: true,
  provider_request_id: true,
  latency_ms: true,
  ttft_ms: true,
  input_tokens: true,
  output_tokens: true,
  cache_read_tokens: true,
  cache_write_tokens: true,
  output_text: true,
  finish_reason: true,
  cost_cents: true,
  cost_source: true,
  unpriced: true,
  usage_source: true,
  request_body: true,
  response_body: true,
  error: true,
  metadata: true
}
/**
 * The order of the values in `Stored.rest`: `pack` writes them in this order, `unpack` reads them
 * back by it (a test round-trips a trace with every field set to a value of its own).
 */
const REST_KEYS = Object.keys(REST) as RestKey[]
/** Stored as milliseconds in the JSON text, read back as Dates. */
const DATE_KEYS: ReadonlySet<string> = new Set<RestKey>(['received_at', 'expires_at'])

/**
 * A trace as this store holds it: what queries look at as properties (the time as milliseconds),
 * the rest as one JSON text. Every kept trace is visited by each full garbage collection and
 * copied once or twice while young; a trace as a tree of objects (Dates, numbers, strings,
 * bodies) made that the largest cost of tracing under load. Kept this way a trace is four heap
 * objects (this one, its id, its time, the text), not twenty; names are shared (`intern`).
 */
interface Stored {
  project_id: string
  trace_id: string
  ts: number
  provider: string
  model_requested: string
  model_used: string | undefined
  status: TraceRecord['status']
  session_id: string | undefined
  rest: string
}

/** A fresh record for a reader: callers may change what they get without touching the store. */
function unpack (s: Stored): TraceRecord {
  const out: Record<string, unknown> = {
    project_id: s.project_id,
    trace_id: s.trace_id,
    timestamp: new Date(s.ts),
    provider: s.provider,
    model_requested: s.model_requested,
    status: s.status
  }
  if (s.model_used !== undefined) out.model_used = s.model_used
  if (s.session_id !== undefined) out.session_id = s.session_id
  const values = JSON.parse(s.rest) as unknown[]
  REST_KEYS.forEach((k, i) => {
    const v = values[i]
    if (v !== null) out[k] = DATE_KEYS.has(k) ? new Date(v as number) : v
  })
  return out as TraceRecord
}

/** `f`'s time bounds in milliseconds, read once per query rather than once per stored trace. */
function matcher (f: TraceFilter): (t: Stored) => boolean {
  const from = f.from?.getTime() ?? -Infinity
  const to = f.to?.getTime() ?? Infinity
  return (t) => (f.session_id === undefined || t.session_id === f.session_id) &&
    (f.provider === undefined || t.provider === f.provider) &&
    (f.model === undefined || t.model_requested === f.model || t.model_used === f.model) &&
    (f.status === undefined || t.status === f.status) &&
    t.ts >= from && t.ts < to
}

const newestFirst = (a: Stored, b: Stored) =>
  b.ts - a.ts || (a.trace_id < b.trace_id ? 1 : a.trace_id > b.trace_id ? -1 : 0)

/** Distinct provider and model names shared by the stored traces; past this many, not shared. */
const MAX_NAMES = 1000

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
  /** One copy of each provider and model name: a string per trace would be kept per trace. */
  private readonly names = new Map<string, string>()

  /** @param maxPerProject traces kept per project; storing one more drops the oldest stored */
  constructor (maxPerProject: number = DEFAULT_MEMORY_MAX_TRACES) {
    this.maxPerProject = maxPerProject
  }

  async init () {}
  async close () {}
  async enableTtl () { return false }

  private intern (name: string): string {
    const shared = this.names.get(name)
    if (shared !== undefined) return shared
    if (this.names.size < MAX_NAMES) this.names.set(name, name)
    return name
  }

  private pack (t: TraceRecord): Stored {
    // An array literal in REST_KEYS order: reading each field by name from a list of keys costs
    // more than the whole literal, and this runs for every trace.
    const rest = JSON.stringify([
      t.received_at.getTime(), t.expires_at?.getTime() ?? null, t.provider_request_id ?? null, t.latency_ms,
      t.ttft_ms ?? null, t.input_tokens ?? null, t.output_tokens ?? null, t.cache_read_tokens ?? null,
      t.cache_write_tokens ?? null, t.output_text ?? null, t.finish_reason ?? null, t.cost_cents ?? null,
      t.cost_source ?? null, t.unpriced ?? null, t.usage_source ?? null, t.request_body ?? null,
      t.response_body ?? null, t.error ?? null, t.metadata ?? null
    ])
    return {
      project_id: t.project_id,
      trace_id: t.trace_id,
      ts: t.timestamp.getTime(),
      provider: this.intern(t.provider),
      model_requested: this.intern(t.model_requested),
      model_used: t.model_used == null ? undefined : this.intern(t.model_used),
      status: t.status,
      session_id: t.session_id ?? undefined,
      rest
    }
  }

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
      project.set(trace.trace_id, this.pack(trace))
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
    const all = [...(this.byProject.get(projectId)?.values() ?? [])].filter(matcher(filter)).sort(newestFirst)
    return { traces: all.slice(offset, offset + limit).map(unpack), total: all.length }
  }

  async session (projectId: string, sessionId: string, limit: number) {
    const all = [...(this.byProject.get(projectId)?.values() ?? [])].filter((t) => t.session_id === sessionId)
    return all.sort((a, b) => newestFirst(b, a)).slice(0, limit).map(unpack)
  }

  async deleteBefore (cutoff: Date) {
    const before = cutoff.getTime()
    let removed = 0
    for (const traces of this.byProject.values()) {
      for (const [id, t] of traces) {
        if (t.ts < before) {
          traces.delete(id)
          removed++
        }
      }
    }
    return removed
  }
}
