import type { Collection, Db } from 'mongodb'
import { fromDoc, toDoc, tryTtlIndex, type Doc } from '../../../lib/store/mongo-util.js'
import type { RepositoryContext } from '../../../lib/store/types.js'
import { SESSION_SWEEP_INTERVAL_MS } from './memory.js'
import type {
  ApiKeyRecord, ApiKeysRepository, AuthSessionRecord, AuthSessionsRepository, Page, ProjectRecord, ProjectsRepository
} from './store.js'

export class MongoProjects implements ProjectsRepository {
  private readonly col: Collection<Doc<ProjectRecord>>
  constructor (db: Db) { this.col = db.collection('pulse_projects') }

  async init () { await this.col.createIndex({ createdAt: 1 }) }
  async close () {}

  async create (project: ProjectRecord) { await this.col.insertOne(toDoc(project)) }

  async get (id: string) {
    const doc = await this.col.findOne({ _id: id })
    return doc ? fromDoc<ProjectRecord>(doc) : null
  }

  async list ({ limit, offset }: Page) {
    const [docs, total] = await Promise.all([
      this.col.find({}).sort({ createdAt: 1, _id: 1 }).skip(offset).limit(limit).toArray(),
      this.col.countDocuments({})
    ])
    return { projects: docs.map((d) => fromDoc<ProjectRecord>(d)), total }
  }
}

export class MongoApiKeys implements ApiKeysRepository {
  private readonly col: Collection<Doc<ApiKeyRecord>>
  constructor (db: Db) { this.col = db.collection('pulse_api_keys') }

  async init () {
    await this.col.createIndex({ hash: 1 }, { unique: true })
    await this.col.createIndex({ projectId: 1, createdAt: 1 })
  }

  async close () {}

  async create (key: ApiKeyRecord) { await this.col.insertOne(toDoc(key)) }

  async findByHash (hash: string) {
    const doc = await this.col.findOne({ hash })
    return doc ? fromDoc<ApiKeyRecord>(doc) : null
  }

  async listByProject (projectId: string) {
    const docs = await this.col.find({ projectId }).sort({ createdAt: 1, _id: 1 }).toArray()
    return docs.map((d) => fromDoc<ApiKeyRecord>(d))
  }

  async revoke (projectId: string, keyId: string, at: Date) {
    // Keep the first revocation time: set only where none is recorded yet.
    await this.col.updateOne({ _id: keyId, projectId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } })
    const doc = await this.col.findOne({ _id: keyId, projectId })
    return doc ? fromDoc<ApiKeyRecord>(doc) : null
  }

  async touch (keyId: string, at: Date) {
    await this.col.updateOne({ _id: keyId }, { $max: { lastUsedAt: at } })
  }
}

export class MongoAuthSessions implements AuthSessionsRepository {
  private readonly col: Collection<Doc<AuthSessionRecord>>
  private timer: NodeJS.Timeout | undefined
  private initialised = false

  constructor (db: Db, private readonly ctx: RepositoryContext) {
    this.col = db.collection('pulse_auth_sessions')
  }

  async init () {
    if (this.initialised) return
    await this.col.createIndex({ projectId: 1, keyId: 1 })
    // Reads filter on expiresAt anyway (the TTL monitor runs only every minute or so);
    // the index or the sweep just keeps the collection from growing.
    if (!await tryTtlIndex(this.col, 'expiresAt', this.ctx.log)) {
      this.timer = setInterval(() => { this.sweep(this.ctx.now()).catch(() => {}) }, SESSION_SWEEP_INTERVAL_MS)
      this.timer.unref()
    }
    this.initialised = true
  }

  async close () {
    clearInterval(this.timer)
    this.timer = undefined
  }

  async create (session: AuthSessionRecord) { await this.col.insertOne(toDoc(session)) }

  async get (id: string, now: Date) {
    const doc = await this.col.findOne({ _id: id, expiresAt: { $gt: now } })
    return doc ? fromDoc<AuthSessionRecord>(doc) : null
  }

  async setKey (id: string, provider: string, sealed: string, now: Date) {
    const res = await this.col.updateOne({ _id: id, expiresAt: { $gt: now } }, { $set: { [`keys.${provider}`]: sealed } })
    return res.matchedCount === 1
  }

  async delete (id: string) {
    const res = await this.col.deleteOne({ _id: id })
    return res.deletedCount === 1
  }

  async deleteByKey (projectId: string, keyId: string) {
    const res = await this.col.deleteMany({ projectId, keyId })
    return res.deletedCount
  }

  async sweep (now: Date) {
    const res = await this.col.deleteMany({ expiresAt: { $lte: now } })
    return res.deletedCount
  }
}
