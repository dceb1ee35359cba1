import type { Pricing } from '../../lib/pricing.js'
import { capBody, capString, redact } from '../../lib/redact.js'
import type { RecordedTrace, Trace, TraceListQuery } from './schemas.js'
import { TRACE_STATUSES } from './schemas.js'
import type { TraceFilter, TraceRecord, TracesRepository } from './store/store.js'
import type { TracesOptions } from './options.js'

const DAY_MS = 86_400_000
/**
 * Traces prepared (redacted, capped, priced) and, for an in-process store, stored and rolled up
 * per turn of the event loop in the record() drain: at least PREPARE_SLICE, more when the queue is
 * long (it is written in about DRAIN_TURNS turns). A request's I/O waits for one slice at most each
 * time, and a streamed call takes several turns: slices of 16 (0.1–0.25 ms each) added up to the
 * streamed calls' p99 at concurrency 1, where slices of 4 take 0.04–0.06 ms. Under load a fixed 4
 * per turn did worse (half as many young-generation collections again at 32 connections), and a
 * drain must not fall behind the calls it traces: a long queue takes larger slices.
 */
const PREPARE_SLICE = 4
const DRAIN_TURNS = 25

const yieldToRequests = async () => { await new Promise<void>((resolve) => setImmediate(resolve)) }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface ServiceLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** Runs after traces are stored, with exactly the ones that were new (analytics rolls them up). */
export type IngestHook = (inserted: readonly TraceRecord[]) => Promise<void>

export type RecordResult =
  | { accepted: true }
  | { accepted: false, reason: 'queue_full' | 'closed' | 'invalid', message: string, retryable: boolean }

export interface TraceQueueStats {
  /** Waiting to be written. */
  queued: number
  /** Being written right now. */
  inFlight: number
  /** record() calls accepted since start. */
  accepted: number
  /** record() calls refused (queue full, closed or invalid): the caller was told each time. */
  refused: number
  /** Accepted traces handed to the store (a trace already stored counts too). */
  written: number
  /** Store writes that failed and were retried. */
  failedWrites: number
  /** Accepted traces that could not be written before close, despite retries (logged as errors). */
  lost: number
}

export interface TracesServiceDeps {
  repo: TracesRepository
  options: TracesOptions
  pricing: Pricing
  log: ServiceLogger
  now?: () => Date
}

export interface TracesService {
  /** Store a batch for a project now; resolves once every trace is stored (and rolled up). */
  ingest(projectId: string, traces: Trace[]): Promise<{ count: number, traces: string[] }>
  /**
   * Queue a trace for a batched write; never blocks, never throws. The trace is taken over as
   * it is (not copied) and read when the batch is written: do not change it afterwards.
   */
  record(trace: RecordedTrace): RecordResult
  /** Write every queued trace; resolves when they are stored. */
  flush(): Promise<void>
  stats(): TraceQueueStats
  get(projectId: string, traceId: string): Promise<TraceRecord | null>
  list(projectId: string, query: TraceListQuery): Promise<{ traces: TraceRecord[], total: number }>
  session(projectId: string, sessionId: string): Promise<TraceRecord[]>
  /** Delete traces past `traceRetentionDays` (by the service clock); returns how many. */
  sweep(): Promise<number>
  addIngestHook(hook: IngestHook): void
  /** Start background timers (flush, retention sweep). */
  start(): Promise<void>
  /** Stop timers and write everything still queued. */
  close(): Promise<void>
}

/** The scalar fields a trace may carry besides the required ones, stored as they are. */
const OPTIONAL_SCALARS = [
  'model_used', 'provider_request_id', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens',
  'finish_reason', 'cost_cents', 'cost_source', 'unpriced', 'usage_source', 'session_id', 'ttft_ms'
] as const satisfies ReadonlyArray<keyof Trace>

function definedOnly<T extends Record<string, unknown>> (obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined || obj[k] === null) delete obj[k]
  return obj
}

/** Why a trace handed to record() cannot be stored, or undefined when it can. */
export function recordProblem (t: RecordedTrace): string | undefined {
  if (typeof t !== 'object' || t === null) return 'trace must be an object'
  if (typeof t.project_id !== 'string' || t.project_id === '') return 'project_id is required'
  if (typeof t.trace_id !== 'string' || !UUID.test(t.trace_id)) return 'trace_id must be a UUID'
  if (t.timestamp instanceof Date ? Number.isNaN(t.timestamp.getTime()) : typeof t.timestamp !== 'string' || Number.isNaN(Date.parse(t.timestamp))) {
    return 'timestamp must be a Date or an ISO 8601 date-time'
  }
  if (typeof t.provider !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(t.provider)) return 'provider must be a provider name'
  if (typeof t.model_requested !== 'string' || t.model_requested === '') return 'model_requested is required'
  if (!(TRACE_STATUSES as readonly string[]).includes(t.status)) return 'status must be success, error or cancelled'
  if (typeof t.latency_ms !== 'number' || !Number.isFinite(t.latency_ms) || t.latency_ms < 0) return 'latency_ms must be a finite number ≥ 0'
  return undefined
}

export function createTracesService (deps: TracesServiceDeps): TracesService {
  const { repo, options, pricing, log } = deps
  const now = deps.now ?? (() => new Date())
  const hooks: IngestHook[] = []
  const { batchSize, flushIntervalMs, maxSize } = options.queue

  /** The stored form: known fields only, nulls dropped, bodies redacted and capped, cost filled in. */
  function prepare (projectId: string, t: Trace | RecordedTrace, receivedAt: Date): TraceRecord {
    // A Date is copied: the stored record must not change if the caller's object does.
    const timestamp = t.timestamp instanceof Date ? new Date(t.timestamp.getTime()) : new Date(t.timestamp)
    const capture = options.captureBodies
    const cap = options.maxBodyBytes
    // Built field by field, never with undefined then deleted: a deleted property turns the
    // object into a slow dictionary, and every later step (store, rollup) reads it.
    const record: TraceRecord = {
      project_id: projectId,
      trace_id: t.trace_id.toLowerCase(),
      timestamp,
      received_at: receivedAt,
      provider: t.provider,
      model_requested: t.model_requested,
      status: t.status,
      latency_ms: t.latency_ms
    }
    const into = record as Record<string, unknown>
    const source = t as Record<string, unknown>
    for (const k of OPTIONAL_SCALARS) {
      const v = source[k]
      if (v !== undefined && v !== null) into[k] = v
    }
    if (capture && t.request_body != null) record.request_body = capBody(redact(t.request_body), cap)
    if (capture && t.response_body != null) record.response_body = capBody(redact(t.response_body), cap)
    if (capture && typeof t.output_text === 'string') record.output_text = capString(t.output_text, cap)
    if (t.error != null) record.error = capBody(redact(t.error), cap) as TraceRecord['error']
    if (t.metadata != null) record.metadata = capBody(redact(t.metadata), cap)
    if (options.traceRetentionDays !== undefined) record.expires_at = new Date(timestamp.getTime() + options.traceRetentionDays * DAY_MS)
    if (record.cost_cents === undefined && (record.input_tokens !== undefined || record.output_tokens !== undefined)) {
      const usage = {
        inputTokens: record.input_tokens,
        outputTokens: record.output_tokens,
        cacheReadTokens: record.cache_read_tokens,
        cacheWriteTokens: record.cache_write_tokens
      }
      const cost = (record.model_used != null ? pricing.cost(record.model_used, usage) : null) ?? pricing.cost(record.model_requested, usage)
      if (cost !== null) {
        record.cost_cents = cost
        record.cost_source = 'pricing_table'
        if (record.unpriced !== undefined) delete record.unpriced
      } else {
        record.cost_source ??= 'none'
        record.unpriced = true
      }
    }
    return record
  }

  async function write (records: TraceRecord[]) {
    const inserted = await repo.insertNew(records)
    try {
      if (inserted.length > 0) for (const hook of hooks) await hook(inserted)
    } catch (err) {
      // Analytics counts a trace when its insert is new. Un-store what the failed hook did not
      // count, so the caller's retry (or the record queue's) stores and counts it again.
      await repo.remove(inserted).catch((removeErr: unknown) => {
        deps.log.error({ err: removeErr, traces: inserted.length }, 'pulse-traces: could not undo an insert whose rollup failed; these traces will be missing from analytics')
      })
      throw err
    }
    return inserted
  }

  // ---- the record() queue ----
  // Traces wait as they were handed over: redaction, capping and cost are prepared by the
  // background drain, so record() (on the caller's response path) only checks and enqueues.
  interface Pending { trace: RecordedTrace, receivedAt: Date }
  let queue: Pending[] = []
  let inFlight = 0
  let closed = false
  let draining: Promise<void> | undefined
  let flushTimer: NodeJS.Timeout | undefined
  let sweepTimer: NodeJS.Timeout | undefined
  let soon: NodeJS.Immediate | undefined
  const counters = { accepted: 0, refused: 0, written: 0, failedWrites: 0, lost: 0 }

  function refuse (reason: 'queue_full' | 'closed' | 'invalid', message: string, retryable: boolean): RecordResult {
    counters.refused++
    return { accepted: false, reason, message, retryable }
  }

  /** Write queued traces batch by batch until the queue is empty; one drain at a time. */
  function drain (): Promise<void> {
    // Cleared by .finally, which runs after the assignment: a drain that finds the queue empty
    // finishes synchronously, and clearing inside it would run first and leave it set for good.
    draining ??= writeQueued().finally(() => { draining = undefined })
    return draining
  }

  // A remote store gets whole batches (a round trip each). An in-process one writes on the event
  // loop the host's requests share: a slice at a time with a pause between, so storing and
  // rolling up a batch holds a request up for one short slice, not the whole batch.
  const sliced = repo.inProcess === true
  /** Traces to handle before the next pause, with `waiting` traces to write. */
  const perTurn = (waiting: number) => Math.max(PREPARE_SLICE, Math.ceil(waiting / DRAIN_TURNS))

  async function writeQueued (): Promise<void> {
    while (queue.length > 0) {
      // From the front, in place: copying the rest of the queue for every slice cost more than the slice.
      const batch = queue.splice(0, sliced ? Math.min(batchSize, perTurn(queue.length)) : batchSize)
      // In process the slice is the unit; a remote store's batch is prepared a few traces per turn.
      const step = sliced ? batch.length : perTurn(queue.length + batch.length)
      inFlight = batch.length
      const records: TraceRecord[] = []
      const kept: Pending[] = []
      for (let i = 0; i < batch.length; i++) {
        // The drain shares the event loop with the host's requests: a pause every few traces,
        // so preparing a batch holds a request up for one short slice at most.
        if (i > 0 && i % step === 0) await yieldToRequests()
        const p = batch[i] as Pending
        try {
          records.push(prepare(p.trace.project_id, p.trace, p.receivedAt))
          kept.push(p)
        } catch (err) {
          // Checked at record(); only a body that cannot be serialised gets here.
          counters.lost++
          log.error({ err, traceId: p.trace.trace_id }, 'pulse-traces: a recorded trace could not be prepared; it is dropped')
        }
      }
      try {
        await write(records)
        counters.written += records.length
      } catch (err) {
        counters.failedWrites++
        // Back to the front, in order: retried on the next tick of the flush timer.
        queue = kept.concat(queue)
        log.error({ err, traces: batch.length }, 'pulse-traces: writing traces failed; they stay queued and are retried')
        return
      } finally {
        inFlight = 0
      }
      if (sliced && queue.length > 0) await yieldToRequests()
    }
  }

  function scheduleDrain () {
    if (soon !== undefined || draining !== undefined) return
    soon = setImmediate(() => {
      soon = undefined
      if (queue.length > 0) drain().catch(() => {})
    })
  }

  async function flush () {
    // A drain that hit a store error returns early: keep going while there is progress to make.
    while (queue.length > 0 || draining !== undefined) {
      const before = queue.length
      await (draining ?? drain())
      if (queue.length > 0 && queue.length >= before) throw new Error('pulse-traces: the store refused the queued traces')
    }
  }

  async function sweep () {
    const days = options.traceRetentionDays
    if (days === undefined) return 0
    const removed = await repo.deleteBefore(new Date(now().getTime() - days * DAY_MS))
    if (removed > 0) log.info({ removed, traceRetentionDays: days }, 'pulse-traces: removed expired traces')
    return removed
  }

  return {
    async ingest (projectId, traces) {
      const receivedAt = now()
      await write(traces.map((t) => prepare(projectId, t, receivedAt)))
      return { count: traces.length, traces: traces.map((t) => t.trace_id.toLowerCase()) }
    },

    record (trace) {
      if (closed) return refuse('closed', 'pulse-traces is closed', false)
      const problem = recordProblem(trace)
      if (problem !== undefined) {
        log.warn({ problem }, 'pulse-traces: record() refused an invalid trace')
        return refuse('invalid', problem, false)
      }
      if (queue.length + inFlight >= maxSize) return refuse('queue_full', `the trace queue holds ${maxSize} traces`, true)
      queue.push({ trace, receivedAt: now() })
      counters.accepted++
      if (queue.length >= batchSize) scheduleDrain()
      return { accepted: true }
    },

    flush,

    stats: () => ({ queued: queue.length, inFlight, ...counters }),

    get: (projectId, traceId) => repo.get(projectId, traceId.toLowerCase()),

    list (projectId, q) {
      const filter: TraceFilter = definedOnly({
        session_id: q.session_id,
        provider: q.provider,
        model: q.model,
        status: q.status,
        from: q.date_from !== undefined ? new Date(q.date_from) : undefined,
        to: q.date_to !== undefined ? new Date(q.date_to) : undefined
      })
      return repo.list(projectId, filter, { limit: q.limit, offset: q.offset })
    },

    session: (projectId, sessionId) => repo.session(projectId, sessionId, options.sessionLimit),

    sweep,

    addIngestHook (hook) { hooks.push(hook) },

    async start () {
      flushTimer = setInterval(() => { if (queue.length > 0) drain().catch(() => {}) }, flushIntervalMs)
      flushTimer.unref()
      if (options.traceRetentionDays !== undefined && !(await repo.enableTtl())) {
        const sweepLater = () => { sweep().catch((err: unknown) => log.warn({ err }, 'pulse-traces: retention sweep failed')) }
        sweepTimer = setInterval(sweepLater, options.sweepIntervalMs)
        sweepTimer.unref()
        sweepLater()
      }
    },

    async close () {
      closed = true
      clearInterval(flushTimer)
      clearInterval(sweepTimer)
      if (soon !== undefined) clearImmediate(soon)
      soon = undefined
      // A few attempts, then say loudly what could not be written: never a silent drop.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await flush()
          return
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)))
        }
      }
      counters.lost += queue.length
      log.error({ lost: queue.length }, 'pulse-traces: could not write queued traces before close; they are lost')
      queue = []
    }
  }
}
