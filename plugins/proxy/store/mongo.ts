import type { Collection, Db } from 'mongodb'
import { isDuplicateKeyError } from '../../../lib/store/mongo-util.js'
import type { UnpricedModel, UnpricedRepository, UnpricedSighting } from './store.js'

// Stored as the record itself (Mongo adds its own _id, left out on read).
type UnpricedDoc = UnpricedModel

export class MongoUnpriced implements UnpricedRepository {
  private readonly col: Collection<UnpricedDoc>
  // Writes from this process go one at a time: FerretDB 1.x applies concurrent `$inc`s to one
  // document non-atomically (MongoDB does not need this; sightings are rare, so it costs nothing).
  private tail: Promise<unknown> = Promise.resolve()

  private readonly maxPerProject: number

  constructor (db: Db, maxPerProject = 1000) {
    this.col = db.collection('pulse_unpriced_models')
    this.maxPerProject = maxPerProject
  }

  async init () {
    await this.col.createIndex({ projectId: 1, provider: 1, model: 1 }, { unique: true, name: 'unpriced_model_unique' })
    await this.col.createIndex({ projectId: 1, lastSeen: -1 }, { name: 'unpriced_last_seen' })
  }

  async close () {}

  record (sighting: UnpricedSighting): Promise<void> {
    const write = this.tail.then(() => this.write(sighting))
    this.tail = write.catch(() => {})
    return write
  }

  private async write ({ projectId, provider, model, at }: UnpricedSighting) {
    const seen = await this.col.updateOne(
      { projectId, provider, model },
      { $inc: { count: 1 }, $max: { lastSeen: at }, $min: { firstSeen: at } }
    )
    if (seen.matchedCount > 0) return
    // A new model: bound what one project can make us remember.
    if (await this.col.countDocuments({ projectId }) >= this.maxPerProject) return
    try {
      await this.col.insertOne({ projectId, provider, model, count: 1, firstSeen: at, lastSeen: at })
    } catch (err) {
      // Another instance saw it first: count this sighting on its entry.
      if (!isDuplicateKeyError(err)) throw err
      await this.col.updateOne({ projectId, provider, model }, { $inc: { count: 1 }, $max: { lastSeen: at }, $min: { firstSeen: at } })
    }
  }

  async list (projectId: string, limit: number): Promise<UnpricedModel[]> {
    const docs = await this.col.find({ projectId }, { projection: { _id: 0 } }).sort({ lastSeen: -1 }).limit(limit).toArray()
    return docs.map((d) => ({ projectId: d.projectId, provider: d.provider, model: d.model, count: d.count, firstSeen: d.firstSeen, lastSeen: d.lastSeen }))
  }
}
