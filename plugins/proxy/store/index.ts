import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemoryUnpriced } from './memory.js'
import { MongoUnpriced } from './mongo.js'
import type { UnpricedRepository } from './store.js'

export const unpricedRepository: RepositoryFactories<UnpricedRepository> = {
  memory: () => new MemoryUnpriced(),
  mongo: (db) => new MongoUnpriced(db)
}

export * from './store.js'
