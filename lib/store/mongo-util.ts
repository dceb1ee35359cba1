import type { Collection, Document, WithId } from 'mongodb'
import type { StoreLogger } from './types.js'

export function isDuplicateKeyError (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000
}

/**
 * Create a TTL index where the server supports one. Returns false (and warns) where it refuses,
 * so the repository falls back to expiry filters plus a periodic sweep.
 */
export async function tryTtlIndex<T extends Document> (
  collection: Collection<T>, field: string, log: StoreLogger
): Promise<boolean> {
  try {
    await collection.createIndex({ [field]: 1 } as Document, { expireAfterSeconds: 0, name: `${field}_ttl` })
    return true
  } catch (err) {
    log.warn({ collection: collection.collectionName, err: (err as Error).message },
      'pulse-proxy: the MongoDB server refused a TTL index; expired documents are filtered out and swept periodically instead')
    return false
  }
}

/** A record with `id` as stored in Mongo, where the id is `_id`. */
export type Doc<T extends { id: string }> = Omit<T, 'id'> & { _id: string }

export function toDoc<T extends { id: string }> ({ id, ...rest }: T): Doc<T> {
  return { _id: id, ...rest } as Doc<T>
}

export function fromDoc<T extends { id: string }> (doc: WithId<Doc<T>> | Doc<T>): T {
  const { _id, ...rest } = doc
  // Optional fields may come back as null; records use absence.
  for (const [k, v] of Object.entries(rest)) if (v === null) delete (rest as Record<string, unknown>)[k]
  return { id: _id, ...rest } as unknown as T
}
