import { Type, type Static } from '@sinclair/typebox'
import type { Repository } from '../../../lib/store/types.js'

export const SecretRecord = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  name: Type.String(),
  /** 1, 2, … per (projectId, name); a changed value is a new version. */
  version: Type.Integer({ minimum: 1 }),
  /** `Keyring.seal` output; names its key id and is bound to (projectId, name, version). */
  ciphertext: Type.String(),
  /** The key the ciphertext and the fingerprint are under (a derived id, not the key). */
  keyId: Type.String(),
  /** HMAC of the value under `keyId`: tells a changed value from the same one without plaintext. */
  fingerprint: Type.String(),
  /** When this version was stored. */
  createdAt: Type.Date(),
  /** When this record was last written (re-encryption under a new key included). */
  updatedAt: Type.Date()
})
export type SecretRecord = Static<typeof SecretRecord>

/** A record without its ciphertext: what listings need. */
export type SecretMeta = Omit<SecretRecord, 'ciphertext'>

/** What re-encryption writes over a record. */
export interface Reseal {
  ciphertext: string
  keyId: string
  fingerprint: string
  updatedAt: Date
}

export interface SecretsRepository extends Repository {
  /**
   * Store a new version. False (nothing written) when that (projectId, name, version) exists
   * already: a concurrent writer took the number, and the caller should read again and retry.
   */
  insert(record: SecretRecord): Promise<boolean>
  /** The highest version of a secret, or null. */
  latest(projectId: string, name: string): Promise<SecretRecord | null>
  /** Every version of one secret, oldest first. */
  versions(projectId: string, name: string): Promise<SecretRecord[]>
  /** The latest version of each of a project's secrets, by name, without ciphertexts. */
  listLatest(projectId: string): Promise<SecretMeta[]>
  /** Delete every version of a secret; returns how many there were (0: not found). */
  remove(projectId: string, name: string): Promise<number>
  /**
   * Compare-and-set: replace the ciphertext of record `id` only while it is still
   * `expectedCiphertext`, so re-encryption never overwrites a newer write. True when written.
   */
  reseal(id: string, expectedCiphertext: string, next: Reseal): Promise<boolean>
  /** Up to `limit` records, any project, not under `keyId`, with ids after `afterId`, by id. */
  listNotUnderKey(keyId: string, opts: { afterId?: string, limit: number }): Promise<SecretRecord[]>
  /** How many records each key id holds, across projects. */
  countByKeyId(): Promise<Record<string, number>>
}
