import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemorySecrets } from './memory.js'
import { MongoSecrets } from './mongo.js'
import type { SecretsRepository } from './store.js'

export const secretsRepository: RepositoryFactories<SecretsRepository> = {
  memory: () => new MemorySecrets(),
  mongo: (db) => new MongoSecrets(db)
}

export * from './store.js'
