export { memoryStore } from './memory.js'
export { mongoStore, type MongoStoreOptions } from './mongo.js'
export { fromDoc, isDuplicateKeyError, toDoc, tryTtlIndex, type Doc } from './mongo-util.js'
export type { PulseStore, Repository, RepositoryContext, RepositoryFactories, StoreLogger } from './types.js'

export function isPulseStore (value: unknown): value is import('./types.js').PulseStore {
  const v = value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && (v.kind === 'memory' || v.kind === 'mongo') &&
    typeof v.repository === 'function' && typeof v.close === 'function' && typeof v.open === 'function'
}
