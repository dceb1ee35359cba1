import { Type, type Static } from '@sinclair/typebox'
import type { Repository } from '../../../lib/store/types.js'

// The job runner's repositories (DESIGN.md › jobs). Only the contract exists so far: the plugin,
// its memory and Mongo implementations and their contract tests come with the jobs issue.

export const JobStatus = Type.Union([
  Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'),
  Type.Literal('failed'), Type.Literal('cancelled')
])
export type JobStatus = Static<typeof JobStatus>

export const JobRecord = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  type: Type.String(),
  status: JobStatus,
  input: Type.Unknown(),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  progress: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  step: Type.Optional(Type.String()),
  attempts: Type.Integer({ minimum: 0 }),
  maxAttempts: Type.Integer({ minimum: 1 }),
  /** Not before this time (backoff between attempts). */
  runAfter: Type.Date(),
  /** The worker holding the job and until when; an expired lease may be reclaimed. */
  leaseOwner: Type.Optional(Type.String()),
  leaseUntil: Type.Optional(Type.Date()),
  sourceTaskId: Type.Optional(Type.String()),
  createdAt: Type.Date(),
  updatedAt: Type.Date()
})
export type JobRecord = Static<typeof JobRecord>

export const JobEventRecord = Type.Object({
  jobId: Type.String(),
  projectId: Type.String(),
  /** 1, 2, 3…: the SSE `id`, so `Last-Event-ID` resumes after it. */
  seq: Type.Integer({ minimum: 1 }),
  type: Type.String(),
  status: JobStatus,
  step: Type.Optional(Type.String()),
  progress: Type.Optional(Type.Number()),
  artifactId: Type.Optional(Type.String()),
  ts: Type.Date()
})
export type JobEventRecord = Static<typeof JobEventRecord>

export interface JobsRepository extends Repository {
  create(job: JobRecord): Promise<void>
  /** Scoped: another project's job is null. */
  get(projectId: string, id: string): Promise<JobRecord | null>
  /** Newest first. */
  list(projectId: string, page: { limit: number, offset: number }): Promise<{ jobs: JobRecord[], total: number }>
  /**
   * Atomically take one runnable job of these types (queued and due, or running with an expired
   * lease) for `owner` until `leaseUntil`; null when none. A unique claim even across instances.
   */
  claim(types: string[], owner: string, now: Date, leaseUntil: Date): Promise<JobRecord | null>
  /** Extend the lease; false when the job is no longer this owner's (reclaimed or cancelled). */
  renew(id: string, owner: string, leaseUntil: Date): Promise<boolean>
  /** Apply a change only while `owner` holds the lease (or, for cancel, while not terminal). */
  update(id: string, owner: string | null, change: Partial<Omit<JobRecord, 'id' | 'projectId'>>): Promise<JobRecord | null>
}

export interface JobEventsRepository extends Repository {
  /** Append with the next sequence number for the job (unique per job); returns the stored event. */
  append(event: Omit<JobEventRecord, 'seq'>): Promise<JobEventRecord>
  /** Events with seq > afterSeq, ascending. */
  since(projectId: string, jobId: string, afterSeq: number): Promise<JobEventRecord[]>
}
