import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemoryRollups } from './memory.js'
import { MongoRollups } from './mongo.js'
import type { RollupsRepository } from './store.js'

export const rollupsRepository: RepositoryFactories<RollupsRepository> = {
  memory: () => new MemoryRollups(),
  mongo: (db) => new MongoRollups(db)
}

export * from './store.js'
