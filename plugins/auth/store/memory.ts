import type { RepositoryContext } from '../../../lib/store/types.js'
import type {
  ApiKeyRecord, ApiKeysRepository, AuthSessionRecord, AuthSessionsRepository, Page, ProjectRecord, ProjectsRepository
} from './store.js'

/** How often expired sessions are dropped where nothing else removes them. */
export const SESSION_SWEEP_INTERVAL_MS = 10 * 60_000

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

export class MemoryAuthSessions implements AuthSessionsRepository {
  private readonly byId = new Map<string, AuthSessionRecord>()
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly ctx: RepositoryContext) {}

  async init () {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.sweep(this.ctx.now()).catch(() => {}) }, SESSION_SWEEP_INTERVAL_MS)
    this.timer.unref()
  }

  async close () {
    clearInterval(this.timer)
    this.timer = undefined
  }

  async create (session: AuthSessionRecord) {
    if (this.byId.has(session.id)) throw new Error('duplicate session id')
    this.byId.set(session.id, copy(session))
  }

  private live (id: string, now: Date) {
    const found = this.byId.get(id)
    return found !== undefined && found.expiresAt > now ? found : undefined
  }

  async get (id: string, now: Date) {
    const found = this.live(id, now)
    return found ? copy(found) : null
  }

  async setKey (id: string, provider: string, sealed: string, now: Date) {
    const found = this.live(id, now)
    if (found === undefined) return false
    found.keys[provider] = sealed
    return true
  }

  async delete (id: string) {
    return this.byId.delete(id)
  }

  async deleteByKey (projectId: string, keyId: string) {
    let n = 0
    for (const [id, s] of this.byId) {
      if (s.projectId === projectId && s.keyId === keyId) { this.byId.delete(id); n++ }
    }
    return n
  }

  async sweep (now: Date) {
    let n = 0
    for (const [id, s] of this.byId) {
      if (s.expiresAt <= now) { this.byId.delete(id); n++ }
    }
    return n
  }
}
