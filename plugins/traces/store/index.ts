import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemoryTraces } from './memory.js'
import { MongoTraces } from './mongo.js'
import type { TracesRepository } from './store.js'

/** @param memoryMaxTraces traces the memory store keeps per project (default 100 000); not used on MongoDB */
export function tracesRepository (memoryMaxTraces?: number): RepositoryFactories<TracesRepository> {
  return {
    memory: () => new MemoryTraces(memoryMaxTraces),
    mongo: (db, ctx) => new MongoTraces(db, ctx)
  }
}

export * from './store.js'
