import { Type, type Static } from '@sinclair/typebox'
import type { Repository } from '../../../lib/store/types.js'

export const ProjectRecord = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.Date()
})
export type ProjectRecord = Static<typeof ProjectRecord>

export const ApiKeyRecord = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  /** SHA-256 of the whole key, hex. The plaintext is never stored. */
  hash: Type.String(),
  /** What a human sees to tell keys apart, e.g. `pulse_sk_AbC1…`. */
  prefix: Type.String(),
  name: Type.Optional(Type.String()),
  createdAt: Type.Date(),
  lastUsedAt: Type.Optional(Type.Date()),
  revokedAt: Type.Optional(Type.Date())
})
export type ApiKeyRecord = Static<typeof ApiKeyRecord>

export interface Page { limit: number, offset: number }

export interface ProjectsRepository extends Repository {
  create(project: ProjectRecord): Promise<void>
  get(id: string): Promise<ProjectRecord | null>
  /** Oldest first. */
  list(page: Page): Promise<{ projects: ProjectRecord[], total: number }>
}

export interface ApiKeysRepository extends Repository {
  create(key: ApiKeyRecord): Promise<void>
  findByHash(hash: string): Promise<ApiKeyRecord | null>
  /** Oldest first, revoked included. */
  listByProject(projectId: string): Promise<ApiKeyRecord[]>
  /** Scoped to the project: another project's key id is not found (null). Idempotent. */
  revoke(projectId: string, keyId: string, at: Date): Promise<ApiKeyRecord | null>
  touch(keyId: string, at: Date): Promise<void>
}
