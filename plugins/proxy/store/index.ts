import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemoryUnpriced } from './memory.js'
import { MongoUnpriced } from './mongo.js'
import type { UnpricedRepository } from './store.js'

/** `maxPerProject`: distinct models remembered per project (model names come from callers). */
export function unpricedRepository (maxPerProject: number): RepositoryFactories<UnpricedRepository> {
  return {
    memory: () => new MemoryUnpriced(maxPerProject),
    mongo: (db) => new MongoUnpriced(db, maxPerProject)
  }
}

export * from './store.js'
