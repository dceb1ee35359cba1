import type { Collection, Db } from 'mongodb'
import { fromDoc, isDuplicateKeyError, toDoc, type Doc } from '../../../lib/store/mongo-util.js'
import type { Reseal, SecretMeta, SecretRecord, SecretsRepository } from './store.js'

export class MongoSecrets implements SecretsRepository {
  private readonly col: Collection<Doc<SecretRecord>>
  constructor (db: Db) { this.col = db.collection('pulse_secrets') }

  async init () {
    // The unique index is what keeps two concurrent writers from both taking version n+1.
    await this.col.createIndex({ projectId: 1, name: 1, version: 1 }, { unique: true, name: 'secret_version_unique' })
    await this.col.createIndex({ keyId: 1, _id: 1 }, { name: 'secret_key' })
  }

  async close () {}

  async insert (record: SecretRecord) {
    try {
      await this.col.insertOne(toDoc(record))
      return true
    } catch (err) {
      if (isDuplicateKeyError(err)) return false
      throw err
    }
  }

  async latest (projectId: string, name: string) {
    const doc = await this.col.find({ projectId, name }).sort({ version: -1 }).limit(1).next()
    return doc ? fromDoc<SecretRecord>(doc) : null
  }

  async versions (projectId: string, name: string) {
    const docs = await this.col.find({ projectId, name }).sort({ version: 1 }).toArray()
    return docs.map((d) => fromDoc<SecretRecord>(d))
  }

  async listLatest (projectId: string) {
    // $group/$first is outside what FerretDB 1.x is promised to support: read the project's
    // versions newest first (without ciphertexts) and keep the first of each name.
    const docs = await this.col.find({ projectId }, { projection: { ciphertext: 0 } })
      .sort({ name: 1, version: -1 }).toArray()
    const out: SecretMeta[] = []
    for (const doc of docs) {
      if (out.at(-1)?.name === doc.name) continue
      const { ciphertext: _, ...meta } = fromDoc<SecretRecord>(doc)
      out.push(meta)
    }
    return out
  }

  async remove (projectId: string, name: string) {
    const { deletedCount } = await this.col.deleteMany({ projectId, name })
    return deletedCount
  }

  async reseal (id: string, expectedCiphertext: string, next: Reseal) {
    const { matchedCount } = await this.col.updateOne({ _id: id, ciphertext: expectedCiphertext }, { $set: next })
    return matchedCount === 1
  }

  async listNotUnderKey (keyId: string, { afterId, limit }: { afterId?: string, limit: number }) {
    const filter = afterId === undefined ? { keyId: { $ne: keyId } } : { keyId: { $ne: keyId }, _id: { $gt: afterId } }
    const docs = await this.col.find(filter).sort({ _id: 1 }).limit(limit).toArray()
    return docs.map((d) => fromDoc<SecretRecord>(d))
  }

  async countByKeyId () {
    const rows = await this.col.aggregate<{ _id: string, n: number }>([
      { $group: { _id: '$keyId', n: { $sum: 1 } } }
    ]).toArray()
    return Object.fromEntries(rows.map((r) => [r._id, r.n]))
  }
}
