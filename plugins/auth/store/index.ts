import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemoryApiKeys, MemoryProjects } from './memory.js'
import { MongoApiKeys, MongoProjects } from './mongo.js'
import type { ApiKeysRepository, ProjectsRepository } from './store.js'

export const projectsRepository: RepositoryFactories<ProjectsRepository> = {
  memory: () => new MemoryProjects(),
  mongo: (db) => new MongoProjects(db)
}

export const apiKeysRepository: RepositoryFactories<ApiKeysRepository> = {
  memory: () => new MemoryApiKeys(),
  mongo: (db) => new MongoApiKeys(db)
}

export * from './store.js'
