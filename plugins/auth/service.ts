import { randomUUID } from 'node:crypto'
import type { Principal } from '../core/types.js'
import { displayPrefix, generateApiKey, hashApiKey, looksLikeApiKey } from './keys.js'
import type { ApiKeyRecord, ApiKeysRepository, AuthSessionsRepository, Page, ProjectsRepository } from './store/store.js'

export interface AuthServiceDeps {
  projects: ProjectsRepository
  apiKeys: ApiKeysRepository
  /** BYOK sessions a key opened end when the key is revoked. */
  sessions: AuthSessionsRepository
  /** See AuthOptions.apiKeyCacheMs. */
  apiKeyCacheMs: number
  touchIntervalMs: number
  now?: () => Date
  onBackgroundError?: (err: unknown) => void
}

interface CachedKey { principal: Principal, until: number }

const MAX_CACHED_KEYS = 10_000
const MAX_KNOWN_PROJECTS = 10_000

export type AuthService = ReturnType<typeof createAuthService>

export function createAuthService (deps: AuthServiceDeps) {
  const { projects, apiKeys, sessions, apiKeyCacheMs, touchIntervalMs } = deps
  const now = deps.now ?? (() => new Date())
  const cache = new Map<string, CachedKey>()
  const lastTouch = new Map<string, number>()
  // Projects are never deleted, so a project seen once stays valid: cache positive answers only.
  const knownProjects = new Set<string>()

  async function issueKey (projectId: string, name?: string) {
    const apiKey = generateApiKey()
    const record: ApiKeyRecord = {
      id: randomUUID(),
      projectId,
      hash: hashApiKey(apiKey),
      prefix: displayPrefix(apiKey),
      ...(name !== undefined ? { name } : {}),
      createdAt: now()
    }
    await apiKeys.create(record)
    return { record, apiKey }
  }

  function touch (keyId: string, at: Date) {
    const last = lastTouch.get(keyId) ?? 0
    if (at.getTime() - last < touchIntervalMs) return
    lastTouch.set(keyId, at.getTime())
    apiKeys.touch(keyId, at).catch((err) => deps.onBackgroundError?.(err))
  }

  /** The principal of a key accepted within apiKeyCacheMs (its use recorded), else undefined. */
  function fromCache (hash: string, at: Date): Principal | undefined {
    const cached = cache.get(hash)
    if (cached === undefined || cached.until <= at.getTime()) return undefined
    if (cached.principal.keyId !== undefined) touch(cached.principal.keyId, at)
    return cached.principal
  }

  return {
    /**
     * verifyApiKey's answer when it needs no store read (the key was accepted within
     * apiKeyCacheMs); undefined when it does. Lets the auth hook finish without a promise.
     */
    cachedApiKey (token: string): Principal | undefined {
      return looksLikeApiKey(token) ? fromCache(hashApiKey(token), now()) : undefined
    },

    async createProject (name: string) {
      const project = { id: randomUUID(), name, createdAt: now() }
      await projects.create(project)
      const { record, apiKey } = await issueKey(project.id, 'default')
      return { project, key: record, apiKey }
    },

    listProjects (page: Page) {
      return projects.list(page)
    },

    getProject (id: string) {
      return projects.get(id)
    },

    /** For identities that name a project (JWT claim, dev header): does it exist? */
    async projectExists (id: string) {
      if (knownProjects.has(id)) return true
      if (await projects.get(id) === null) return false
      if (knownProjects.size >= MAX_KNOWN_PROJECTS) knownProjects.clear()
      knownProjects.add(id)
      return true
    },

    /** Null when the project does not exist. */
    async createKey (projectId: string, name?: string) {
      if (await projects.get(projectId) === null) return null
      return issueKey(projectId, name)
    },

    async listKeys (projectId: string) {
      if (await projects.get(projectId) === null) return null
      return apiKeys.listByProject(projectId)
    },

    async revokeKey (projectId: string, keyId: string) {
      const revoked = await apiKeys.revoke(projectId, keyId, now())
      // Refused on this instance at once; other instances within apiKeyCacheMs.
      if (revoked !== null) {
        cache.delete(revoked.hash)
        await sessions.deleteByKey(projectId, keyId)
      }
      return revoked
    },

    /**
     * The principal for a `pulse_sk_` key, or null for any key we do not accept. `fresh` skips
     * the cache, for decisions that outlive the request (opening a session).
     */
    async verifyApiKey (token: string, opts: { fresh?: boolean } = {}): Promise<Principal | null> {
      if (!looksLikeApiKey(token)) return null
      const hash = hashApiKey(token)
      const at = now()
      const cached = opts.fresh === true ? undefined : fromCache(hash, at)
      if (cached !== undefined) return cached
      const record = await apiKeys.findByHash(hash)
      const principal: Principal | null = record === null || record.revokedAt !== undefined
        ? null
        : { projectId: record.projectId, keyId: record.id, via: 'api_key' }
      // Only accepted keys are cached, so random guesses cannot grow the cache.
      if (principal !== null && apiKeyCacheMs > 0) {
        if (cache.size >= MAX_CACHED_KEYS) cache.clear()
        cache.set(hash, { principal, until: at.getTime() + apiKeyCacheMs })
      }
      if (principal?.keyId !== undefined) touch(principal.keyId, at)
      return principal
    }
  }
}
