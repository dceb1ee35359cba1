import type { Reseal, SecretMeta, SecretRecord, SecretsRepository } from './store.js'

const copy = <T extends object>(value: T): T => structuredClone(value)
const slot = (projectId: string, name: string, version: number) => JSON.stringify([projectId, name, version])

export class MemorySecrets implements SecretsRepository {
  private readonly byId = new Map<string, SecretRecord>()
  // The unique (projectId, name, version) index of the Mongo collection.
  private readonly bySlot = new Map<string, string>()

  async init () {}
  async close () {}

  async insert (record: SecretRecord) {
    const key = slot(record.projectId, record.name, record.version)
    if (this.bySlot.has(key) || this.byId.has(record.id)) return false
    this.byId.set(record.id, copy(record))
    this.bySlot.set(key, record.id)
    return true
  }

  private of (projectId: string, name: string) {
    return [...this.byId.values()]
      .filter((r) => r.projectId === projectId && r.name === name)
      .sort((a, b) => a.version - b.version)
  }

  async latest (projectId: string, name: string) {
    const found = this.of(projectId, name).at(-1)
    return found ? copy(found) : null
  }

  async versions (projectId: string, name: string) {
    return this.of(projectId, name).map(copy)
  }

  async listLatest (projectId: string) {
    const latest = new Map<string, SecretRecord>()
    for (const r of this.byId.values()) {
      if (r.projectId !== projectId) continue
      const seen = latest.get(r.name)
      if (seen === undefined || seen.version < r.version) latest.set(r.name, r)
    }
    return [...latest.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(({ ciphertext: _, ...meta }): SecretMeta => copy(meta))
  }

  async remove (projectId: string, name: string) {
    const gone = this.of(projectId, name)
    for (const r of gone) {
      this.byId.delete(r.id)
      this.bySlot.delete(slot(r.projectId, r.name, r.version))
    }
    return gone.length
  }

  async reseal (id: string, expectedCiphertext: string, next: Reseal) {
    const found = this.byId.get(id)
    if (found === undefined || found.ciphertext !== expectedCiphertext) return false
    Object.assign(found, copy(next))
    return true
  }

  async listNotUnderKey (keyId: string, { afterId, limit }: { afterId?: string, limit: number }) {
    return [...this.byId.values()]
      .filter((r) => r.keyId !== keyId && (afterId === undefined || r.id > afterId))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit)
      .map(copy)
  }

  async countByKeyId () {
    const counts: Record<string, number> = {}
    for (const r of this.byId.values()) counts[r.keyId] = (counts[r.keyId] ?? 0) + 1
    return counts
  }
}
