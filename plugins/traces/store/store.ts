import type { Repository } from '../../../lib/store/types.js'
import type { Trace, TraceStatus } from '../schemas.js'

/**
 * A trace as stored: the redacted, capped trace with its project, times as Dates (so both
 * stores can range-query them) and `null`s dropped. `request_body` is absent when
 * `captureBodies` is off.
 */
export type TraceRecord = Omit<Trace, 'timestamp' | 'request_body'> & {
  project_id: string
  timestamp: Date
  request_body?: Record<string, unknown>
  received_at: Date
  /** Set when retention is configured: the Mongo TTL index removes the trace at this time. */
  expires_at?: Date
}

export interface TraceFilter {
  session_id?: string
  provider?: string
  /** Matches model_requested or model_used. */
  model?: string
  status?: TraceStatus
  /** Inclusive. */
  from?: Date
  /** Exclusive. */
  to?: Date
}

export interface TracesRepository extends Repository {
  /**
   * Writes run in this process, on the event loop the host's requests share (the memory store):
   * the record() queue hands them over a slice at a time instead of whole batches.
   */
  readonly inProcess?: boolean
  /**
   * Store every trace whose (project_id, trace_id) is not stored yet and return exactly those,
   * so a caller counts each trace once even when the same batch is sent twice at the same time.
   */
  insertNew(traces: TraceRecord[]): Promise<TraceRecord[]>
  /** Remove these traces (by project and trace id): undoes an insert whose rollup failed. */
  remove(traces: Array<Pick<TraceRecord, 'project_id' | 'trace_id'>>): Promise<void>
  get(projectId: string, traceId: string): Promise<TraceRecord | null>
  /** Newest first (timestamp, then trace_id). */
  list(projectId: string, filter: TraceFilter, page: { limit: number, offset: number }): Promise<{ traces: TraceRecord[], total: number }>
  /** A session's traces, oldest first, at most `limit`. */
  session(projectId: string, sessionId: string, limit: number): Promise<TraceRecord[]>
  /** Delete traces whose timestamp is before `cutoff`; returns how many. */
  deleteBefore(cutoff: Date): Promise<number>
  /**
   * Ask the backend to expire traces at `expires_at` by itself (Mongo TTL index). False where it
   * cannot (memory, or a server that refuses TTL indexes): the caller sweeps instead.
   */
  enableTtl(): Promise<boolean>
}
