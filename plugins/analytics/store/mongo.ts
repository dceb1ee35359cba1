import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb'
import { COUNT_FIELDS, emptyCounts, rollupId, type RollupRecord, type RollupsRepository } from './store.js'

type RollupDoc = RollupRecord & { _id: string }

interface BulkFailure { writeErrors?: Array<{ index: number, code?: number }> | { index: number, code?: number } }

function upsert (d: RollupRecord): AnyBulkWriteOperation<RollupDoc> {
  const inc: Record<string, number> = {}
  for (const f of COUNT_FIELDS) if (d[f] !== 0) inc[f] = d[f]
  for (const [k, n] of Object.entries(d.hist)) inc[`hist.${k}`] = n
  return {
    updateOne: {
      filter: { _id: rollupId(d) },
      update: { $inc: inc, $setOnInsert: { projectId: d.projectId, hour: d.hour, provider: d.provider, model: d.model } },
      upsert: true
    }
  }
}

export class MongoRollups implements RollupsRepository {
  private readonly col: Collection<RollupDoc>
  constructor (db: Db) { this.col = db.collection('pulse_rollups') }

  async init () { await this.col.createIndex({ projectId: 1, hour: 1 }, { name: 'project_hour' }) }
  async close () {}

  async apply (deltas: RollupRecord[]) {
    let pending = deltas
    // Two upserts racing to create the same rollup: one may fail with a duplicate key; by
    // then the document exists, so the retry is a plain $inc. Anything else is thrown.
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        await this.col.bulkWrite(pending.map(upsert), { ordered: false })
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
