import type { AnyBulkWriteOperation, Collection, Db, Filter } from 'mongodb'
import { tryTtlIndex } from '../../../lib/store/mongo-util.js'
import type { RepositoryContext } from '../../../lib/store/types.js'
import type { TraceFilter, TraceRecord, TracesRepository } from './store.js'

/** `_id` is `<project>/<trace_id>`: the unique key that makes ingest idempotent without another index. */
type TraceDoc = TraceRecord & { _id: string }

const idOf = (projectId: string, traceId: string) => `${projectId}/${traceId}`

function toRecord (doc: TraceDoc): TraceRecord {
  const { _id, ...rest } = doc
  for (const [k, v] of Object.entries(rest)) if (v === null) delete (rest as Record<string, unknown>)[k]
  return rest
}

interface BulkFailure { writeErrors?: Array<{ index: number, code?: number }> | { index: number, code?: number } }

export class MongoTraces implements TracesRepository {
  private readonly col: Collection<TraceDoc>
  constructor (db: Db, private readonly ctx: RepositoryContext) { this.col = db.collection('pulse_traces') }

  async init () {
    // One index per filter of GET /traces, each ending in the sort key so "newest first" reads the index in order.
    const indexes: Array<[Record<string, 1 | -1>, string]> = [
      [{ project_id: 1, timestamp: -1, trace_id: -1 }, 'project_time'],
      [{ project_id: 1, session_id: 1, timestamp: 1 }, 'project_session_time'],
      [{ project_id: 1, provider: 1, timestamp: -1 }, 'project_provider_time'],
      [{ project_id: 1, model_requested: 1, timestamp: -1 }, 'project_model_requested_time'],
      [{ project_id: 1, model_used: 1, timestamp: -1 }, 'project_model_used_time'],
      [{ project_id: 1, status: 1, timestamp: -1 }, 'project_status_time'],
      // The retention sweep runs across projects.
      [{ timestamp: 1 }, 'time']
    ]
    // One createIndex per index: FerretDB 1.x drops the connection when a multi-index
    // createIndexes names indexes that already exist (every start after the first).
    for (const [key, name] of indexes) await this.col.createIndex(key, { name })
  }

  async close () {}

  async enableTtl () {
    return tryTtlIndex(this.col, 'expires_at', this.ctx.log)
  }

  async insertNew (traces: TraceRecord[]) {
    if (traces.length === 0) return []
    const docs: TraceDoc[] = traces.map((t) => ({ _id: idOf(t.project_id, t.trace_id), ...t }))
    const ops: AnyBulkWriteOperation<TraceDoc>[] = docs.map((document) => ({ insertOne: { document } }))
    try {
      // Unordered: a duplicate does not stop the rest of the batch. One round trip for the batch.
      await this.col.bulkWrite(ops, { ordered: false })
      return traces
    } catch (err) {
      const failed = failedIndexes(err)
      if (failed === undefined) throw err
      // Within one batch a repeated trace_id is a duplicate too: the first one won.
      return traces.filter((_, i) => !failed.has(i))
    }
  }

  async remove (traces: Array<Pick<TraceRecord, 'project_id' | 'trace_id'>>) {
    if (traces.length === 0) return
    await this.col.deleteMany({ _id: { $in: traces.map((t) => idOf(t.project_id, t.trace_id)) } })
  }

  async get (projectId: string, traceId: string) {
    const doc = await this.col.findOne({ _id: idOf(projectId, traceId) })
    return doc === null ? null : toRecord(doc)
  }

  async list (projectId: string, filter: TraceFilter, { limit, offset }: { limit: number, offset: number }) {
    const query = toQuery(projectId, filter)
    const [docs, total] = await Promise.all([
      this.col.find(query).sort({ timestamp: -1, trace_id: -1 }).skip(offset).limit(limit).toArray(),
      this.col.countDocuments(query)
    ])
    return { traces: docs.map(toRecord), total }
  }

  async session (projectId: string, sessionId: string, limit: number) {
    const docs = await this.col.find({ project_id: projectId, session_id: sessionId })
      .sort({ timestamp: 1, trace_id: 1 }).limit(limit).toArray()
    return docs.map(toRecord)
  }

  async deleteBefore (cutoff: Date) {
    const { deletedCount } = await this.col.deleteMany({ timestamp: { $lt: cutoff } })
    return deletedCount
  }
}

/** The indexes of the operations that failed as duplicates; undefined when any failure was something else. */
function failedIndexes (err: unknown): Set<number> | undefined {
  const raw = (err as BulkFailure).writeErrors
  if (raw === undefined) return undefined
  const list = Array.isArray(raw) ? raw : [raw]
  if (list.length === 0 || list.some((e) => e.code !== 11000)) return undefined
  return new Set(list.map((e) => e.index))
}

function toQuery (projectId: string, f: TraceFilter): Filter<TraceDoc> {
  const q: Filter<TraceDoc> = { project_id: projectId }
  if (f.session_id !== undefined) q.session_id = f.session_id
  if (f.provider !== undefined) q.provider = f.provider
  if (f.status !== undefined) q.status = f.status
  if (f.model !== undefined) q.$or = [{ model_requested: f.model }, { model_used: f.model }]
  if (f.from !== undefined || f.to !== undefined) {
    q.timestamp = { ...(f.from !== undefined ? { $gte: f.from } : {}), ...(f.to !== undefined ? { $lt: f.to } : {}) }
  }
  return q
}
