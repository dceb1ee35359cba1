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

export const AuthSessionRecord = Type.Object({
  /** SHA-256 (hex) of the random cookie token; the token itself is never stored. */
  id: Type.String(),
  projectId: Type.String(),
  userId: Type.Optional(Type.String()),
  /** The API key that opened the session; revoking it ends the session. */
  keyId: Type.Optional(Type.String()),
  /** How the principal authenticated when it opened the session. */
  createdVia: Type.Union([Type.Literal('api_key'), Type.Literal('jwt'), Type.Literal('dev')]),
  /** Provider name → provider key sealed by the vault keyring (AAD binds session id + provider). */
  keys: Type.Record(Type.String(), Type.String()),
  createdAt: Type.Date(),
  expiresAt: Type.Date()
})
export type AuthSessionRecord = Static<typeof AuthSessionRecord>

export interface AuthSessionsRepository extends Repository {
  create(session: AuthSessionRecord): Promise<void>
  /** Null when missing or expired at `now` (an expired record may linger until it is swept). */
  get(id: string, now: Date): Promise<AuthSessionRecord | null>
  /** Store (or replace) one provider's sealed key; false when the session is missing or expired. */
  setKey(id: string, provider: string, sealed: string, now: Date): Promise<boolean>
  /** True when a record was deleted. */
  delete(id: string): Promise<boolean>
  /** End every session a key opened (on revocation); returns how many. */
  deleteByKey(projectId: string, keyId: string): Promise<number>
  /** Delete records expired at `now`; returns how many. Runs periodically where TTL indexes are missing. */
  sweep(now: Date): Promise<number>
}
