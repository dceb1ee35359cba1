import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb'
import { addTo, emptyHistogram, type Histogram } from '../histogram.js'
import {
  COUNT_FIELDS, emptyCounts, latencyId, rollupId,
  type LatencyPeriod, type LatencyRecord, type RollupBatch, type RollupRecord, type RollupsRepository
} from './store.js'

const MAX_UPDATES_PER_COMMAND = 50

type RollupDoc = RollupRecord & { _id: string }
type LatencyDoc = LatencyRecord & { _id: string }
type Pending = { kind: 'counts', d: RollupRecord } | { kind: 'latency', d: LatencyRecord }

interface BulkFailure { writeErrors?: Array<{ index: number, code?: number }> | { index: number, code?: number } }

function upsertCounts (id: string, d: RollupRecord): AnyBulkWriteOperation<RollupDoc> {
  const inc: Record<string, number> = {}
  for (const f of COUNT_FIELDS) if (d[f] !== 0) inc[f] = d[f]
  return {
    updateOne: {
      filter: { _id: id },
      update: { $inc: inc, $setOnInsert: { projectId: d.projectId, hour: d.hour, provider: d.provider, model: d.model } },
      upsert: true
    }
  }
}

function upsertLatency (id: string, d: LatencyRecord): AnyBulkWriteOperation<LatencyDoc> {
  const inc: Record<string, number> = {}
  for (const [k, n] of Object.entries(d.hist)) inc[`hist.${k}`] = n
  return {
    updateOne: {
      filter: { _id: id },
      update: { $inc: inc, $setOnInsert: { projectId: d.projectId, period: d.period, start: d.start } },
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
  private readonly lat: Record<LatencyPeriod, Collection<LatencyDoc>>
  private pending = new Map<string, Pending>()
  private waiters: Waiter[] = []
  private writing: Promise<void> | undefined

  constructor (db: Db) {
    this.col = db.collection('pulse_rollups')
    // A collection per period: on servers that scan rather than use the index (FerretDB), a
    // day query then never reads the hour histograms, which outnumber the days 24 to 1.
    this.lat = { hour: db.collection('pulse_rollups_latency_hour'), day: db.collection('pulse_rollups_latency_day') }
  }

  async init () {
    await this.col.createIndex({ projectId: 1, hour: 1 }, { name: 'project_hour' })
    for (const col of Object.values(this.lat)) await col.createIndex({ projectId: 1, start: 1 }, { name: 'project_start' })
  }

  async close () { await this.writing }

  apply ({ counts, latency }: RollupBatch): Promise<void> {
    if (counts.length === 0 && latency.length === 0) return Promise.resolve()
    for (const d of counts) {
      const id = `c|${rollupId(d)}`
      const merged = this.pending.get(id)
      if (merged === undefined) this.pending.set(id, { kind: 'counts', d: { ...d } })
      else if (merged.kind === 'counts') for (const f of COUNT_FIELDS) merged.d[f] += d[f]
    }
    for (const d of latency) {
      const id = `l|${latencyId(d)}`
      const merged = this.pending.get(id)
      if (merged === undefined) this.pending.set(id, { kind: 'latency', d: { ...d, hist: addTo(emptyHistogram(), d.hist) } })
      else if (merged.kind === 'latency') addTo(merged.d.hist, d.hist)
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
          const entries = [...batch.values()]
          // One after the other: FerretDB (SQLite) stalls on two concurrent bulk upserts.
          await this.write(this.col, entries.flatMap((e) => e.kind === 'counts' ? [upsertCounts(rollupId(e.d), e.d)] : []))
          for (const period of ['hour', 'day'] as const) {
            await this.write(this.lat[period], entries.flatMap((e) => e.kind === 'latency' && e.d.period === period ? [upsertLatency(latencyId(e.d), e.d)] : []))
          }
          for (const w of waiters) w.resolve()
        } catch (err) {
          for (const w of waiters) w.reject(err)
        }
      }
    } finally {
      this.writing = undefined
    }
  }

  private async write<T extends { _id: string }> (col: Collection<T>, ops: AnyBulkWriteOperation<T>[]) {
    // At most 50 updates a command: FerretDB 1.x can hang on an update command of 100 or more
    // statements that match existing documents. On MongoDB this only splits round trips.
    for (let i = 0; i < ops.length; i += MAX_UPDATES_PER_COMMAND) {
      await this.writeChunk(col, ops.slice(i, i + MAX_UPDATES_PER_COMMAND))
    }
  }

  private async writeChunk<T extends { _id: string }> (col: Collection<T>, ops: AnyBulkWriteOperation<T>[]) {
    let pending = ops
    // On MongoDB, two instances' upserts racing to create the same rollup: one may fail with a
    // duplicate key; by then the document exists, so the retry is a plain $inc.
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        if (pending.length === 0) return
        await col.bulkWrite(pending, { ordered: false })
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
    return docs.map(({ _id, ...r }) => ({ ...emptyCounts(), ...r }))
  }

  async latency (projectId: string, period: LatencyPeriod, from: Date, to: Date): Promise<Histogram[]> {
    const docs = await this.lat[period].find({ projectId, start: { $gte: from, $lt: to } }, { projection: { hist: 1 } }).toArray()
    return docs.map((d) => d.hist ?? {})
  }
}
