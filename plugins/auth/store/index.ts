import type { RepositoryFactories } from '../../../lib/store/types.js'
import { MemoryApiKeys, MemoryAuthSessions, MemoryProjects } from './memory.js'
import { MongoApiKeys, MongoAuthSessions, MongoProjects } from './mongo.js'
import type { ApiKeysRepository, AuthSessionsRepository, ProjectsRepository } from './store.js'

export const projectsRepository: RepositoryFactories<ProjectsRepository> = {
  memory: () => new MemoryProjects(),
  mongo: (db) => new MongoProjects(db)
}

export const apiKeysRepository: RepositoryFactories<ApiKeysRepository> = {
  memory: () => new MemoryApiKeys(),
  mongo: (db) => new MongoApiKeys(db)
}

export const authSessionsRepository: RepositoryFactories<AuthSessionsRepository> = {
  memory: (ctx) => new MemoryAuthSessions(ctx),
  mongo: (db, ctx) => new MongoAuthSessions(db, ctx)
}

export * from './store.js'
