import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemoryTraces } from './memory.js'
import { MongoTraces } from './mongo.js'
import type { TracesRepository } from './store.js'

export const tracesRepository: RepositoryFactories<TracesRepository> = {
  memory: () => new MemoryTraces(),
  mongo: (db, ctx) => new MongoTraces(db, ctx)
}

export * from './store.js'
