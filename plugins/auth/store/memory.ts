import type { ApiKeyRecord, ApiKeysRepository, Page, ProjectRecord, ProjectsRepository } from './store.js'

const copy = <T extends object>(value: T): T => structuredClone(value)

export class MemoryProjects implements ProjectsRepository {
  private readonly byId = new Map<string, ProjectRecord>()

  async init () {}
  async close () {}

  async create (project: ProjectRecord) {
    if (this.byId.has(project.id)) throw new Error(`project ${project.id} exists`)
    this.byId.set(project.id, copy(project))
  }

  async get (id: string) {
    const found = this.byId.get(id)
    return found ? copy(found) : null
  }

  async list ({ limit, offset }: Page) {
    const all = [...this.byId.values()]
    return { projects: all.slice(offset, offset + limit).map(copy), total: all.length }
  }
}

export class MemoryApiKeys implements ApiKeysRepository {
  private readonly byId = new Map<string, ApiKeyRecord>()
  private readonly idByHash = new Map<string, string>()

  async init () {}
  async close () {}

  async create (key: ApiKeyRecord) {
    if (this.idByHash.has(key.hash)) throw new Error('duplicate api key hash')
    this.byId.set(key.id, copy(key))
    this.idByHash.set(key.hash, key.id)
  }

  async findByHash (hash: string) {
    const id = this.idByHash.get(hash)
    const found = id === undefined ? undefined : this.byId.get(id)
    return found ? copy(found) : null
  }

  async listByProject (projectId: string) {
    return [...this.byId.values()].filter((k) => k.projectId === projectId).map(copy)
  }

  async revoke (projectId: string, keyId: string, at: Date) {
    const found = this.byId.get(keyId)
    if (found === undefined || found.projectId !== projectId) return null
    found.revokedAt ??= at
    return copy(found)
  }

  async touch (keyId: string, at: Date) {
    const found = this.byId.get(keyId)
    if (found !== undefined && (found.lastUsedAt === undefined || found.lastUsedAt < at)) found.lastUsedAt = at
  }
}
