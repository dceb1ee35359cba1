import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb'
import { addTo } from '../histogram.js'
import { COUNT_FIELDS, emptyCounts, rollupId, type RollupRecord, type RollupsRepository } from './store.js'

type RollupDoc = RollupRecord & { _id: string }

interface BulkFailure { writeErrors?: Array<{ index: number, code?: number }> | { index: number, code?: number } }

function upsert (id: string, d: RollupRecord): AnyBulkWriteOperation<RollupDoc> {
  const inc: Record<string, number> = {}
  for (const f of COUNT_FIELDS) if (d[f] !== 0) inc[f] = d[f]
  for (const [k, n] of Object.entries(d.hist)) inc[`hist.${k}`] = n
  return {
    updateOne: {
      filter: { _id: id },
      update: { $inc: inc, $setOnInsert: { projectId: d.projectId, hour: d.hour, provider: d.provider, model: d.model } },
      upsert: true
    }
  }
}

interface Waiter { resolve: () => void, reject: (err: unknown) => void }

/**
 * Rollups as one document per (project, hour, provider, model), updated with `$inc`.
 *
 * Writes from this process go out one bulk write at a time, and deltas that arrive meanwhile
 * are merged into the next one. Two reasons: FerretDB 1.x applies concurrent `$inc`s to the
 * same document as read-modify-write and loses some (50 parallel `$inc` → 21), and merging
 * turns many small ingest batches into few round trips. MongoDB's `$inc` is atomic, so several
 * instances sharing a MongoDB stay exact; several instances on one FerretDB do not.
 */
export class MongoRollups implements RollupsRepository {
  private readonly col: Collection<RollupDoc>
  private pending = new Map<string, RollupRecord>()
  private waiters: Waiter[] = []
  private writing: Promise<void> | undefined

  constructor (db: Db) { this.col = db.collection('pulse_rollups') }

  async init () { await this.col.createIndex({ projectId: 1, hour: 1 }, { name: 'project_hour' }) }

  async close () { await this.writing }

  apply (deltas: RollupRecord[]): Promise<void> {
    if (deltas.length === 0) return Promise.resolve()
    for (const d of deltas) {
      const id = rollupId(d)
      const merged = this.pending.get(id)
      if (merged === undefined) {
        this.pending.set(id, { ...d, hist: { ...d.hist } })
      } else {
        for (const f of COUNT_FIELDS) merged[f] += d[f]
        addTo(merged.hist, d.hist)
      }
    }
    const done = new Promise<void>((resolve, reject) => { this.waiters.push({ resolve, reject }) })
    this.writing ??= this.writeAll()
    return done
  }

  private async writeAll () {
    try {
      while (this.pending.size > 0) {
        const batch = this.pending
        const waiters = this.waiters
        this.pending = new Map()
        this.waiters = []
        try {
          await this.write([...batch.entries()])
          for (const w of waiters) w.resolve()
        } catch (err) {
          for (const w of waiters) w.reject(err)
        }
      }
    } finally {
      this.writing = undefined
    }
  }

  private async write (entries: Array<[string, RollupRecord]>) {
    let pending = entries
    // On MongoDB, two instances' upserts racing to create the same rollup: one may fail with a
    // duplicate key; by then the document exists, so the retry is a plain $inc.
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        await this.col.bulkWrite(pending.map(([id, d]) => upsert(id, d)), { ordered: false })
        return
      } catch (err) {
        const raw = (err as BulkFailure).writeErrors
        const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
        if (attempt >= 3 || list.length === 0 || list.some((e) => e.code !== 11000)) throw err
        const failed = new Set(list.map((e) => e.index))
        pending = pending.filter((_, i) => failed.has(i))
      }
    }
  }

  async range (projectId: string, from: Date, to: Date) {
    const docs = await this.col.find({ projectId, hour: { $gte: from, $lt: to } }).toArray()
    // A counter never incremented (e.g. errors) is absent from the document.
    return docs.map(({ _id, ...r }) => ({ ...emptyCounts(), ...r, hist: r.hist ?? {} }))
  }
}
