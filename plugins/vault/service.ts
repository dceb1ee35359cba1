import { randomUUID } from 'node:crypto'
import type { Keyring } from '../../lib/crypto.js'
import { describe, ValidationError } from '../../lib/errors.js'
import { SecretConflictError } from './errors.js'
import type { SecretMeta, SecretRecord, SecretsRepository } from './store/store.js'

/**
 * Letters, digits, `.`, `_`, `-`; starting with a letter or digit (so never `.` or `..`); at
 * most 100 characters, Fastify's default `maxParamLength`, so every valid name is routable.
 */
export const SECRET_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'
const SECRET_NAME = new RegExp(SECRET_NAME_PATTERN)
const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

// How often a put re-reads and retries when a concurrent writer took its version number.
const PUT_ATTEMPTS = 8
const ROTATE_PAGE = 100
const MAX_REPORTED_FAILURES = 100

/** Associated data: the ciphertext opens only on the record (project, name, version) it was made for. */
function aad (projectId: string, name: string, version: number) {
  return JSON.stringify(['pulse-vault/secret', projectId, name, version])
}

/** Fingerprints are per secret, so equal values in two secrets cannot be told apart by them. */
function fingerprintContext (projectId: string, name: string) {
  return JSON.stringify(['pulse-vault/secret', projectId, name])
}

/** The secret name a provider's key is kept under. */
export function providerSecretName (provider: string) {
  return `provider.${provider}`
}

/** What may be shown about a secret: never its value. */
export interface SecretMetadata {
  name: string
  version: number
  /** Keyed (HMAC) fingerprint, hex; changes when the value or the key it is under changes. */
  fingerprint: string
  /** The key id the current version is under. */
  keyId: string
  createdAt: Date
  updatedAt: Date
}

export interface PutResult extends SecretMetadata {
  /** False when the value was the same as the latest version's: nothing was written. */
  changed: boolean
}

export interface RotateFailure {
  projectId: string
  name: string
  version: number
  keyId: string
  code: string
}

export interface RotateReport {
  /** Records looked at: reencrypted + alreadyCurrent + failed. */
  scanned: number
  reencrypted: number
  /** Already under the active key (or re-encrypted by another writer during this pass). */
  alreadyCurrent: number
  /** Could not be opened: unknown key id or failed authentication. Left untouched. */
  failed: number
  /** The first failures, to find them (no values, no keys). */
  failures: RotateFailure[]
}

export interface VaultStatus {
  activeKeyId: string
  /** Every configured key, and every key id found in the store, with its record count. */
  keys: Array<{ keyId: string, active: boolean, configured: boolean, records: number }>
}

export interface VaultServiceDeps {
  secrets: SecretsRepository
  keyring: Keyring
  maxValueLength: number
  now?: () => Date
  /** A read succeeded but re-encrypting the record under the active key failed (it is retried on the next read). */
  onReencryptError?: (err: unknown, record: { projectId: string, name: string, version: number }) => void
}

export interface VaultService {
  /** Seal/open for records other plugins keep encrypted (e.g. BYOK sessions). */
  readonly keyring: Keyring
  /** Store a value: a new version when it differs from the latest, a no-op when it is the same. */
  put(projectId: string, name: string, value: string): Promise<PutResult>
  /** The latest version's value, or null. A value under a previous key is re-encrypted under the active one. */
  resolve(projectId: string, name: string): Promise<string | null>
  /** The project's secrets, latest versions, metadata only. */
  list(projectId: string): Promise<SecretMetadata[]>
  /** Delete every version; false when there was no such secret. */
  remove(projectId: string, name: string): Promise<boolean>
  /** Re-encrypt every record (all projects) not under the active key. */
  rotate(): Promise<RotateReport>
  /** Records per key id, for the rotation drill. */
  status(): Promise<VaultStatus>
  /** The key a project stored for a provider (secret `provider.<name>`), or null. */
  providerKey(projectId: string, provider: string): Promise<string | null>
}

function metadata (r: SecretMeta): SecretMetadata {
  return { name: r.name, version: r.version, fingerprint: r.fingerprint, keyId: r.keyId, createdAt: r.createdAt, updatedAt: r.updatedAt }
}

export function createVaultService (deps: VaultServiceDeps): VaultService {
  const { secrets, keyring, maxValueLength } = deps
  const now = deps.now ?? (() => new Date())

  function checkName (name: string) {
    if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
      throw new ValidationError(`Invalid secret name: must match ${SECRET_NAME_PATTERN}`)
    }
  }

  function checkValue (value: string) {
    // The message never echoes the value.
    if (typeof value !== 'string' || value.length === 0) throw new ValidationError('Invalid secret value: must be a non-empty string')
    if (value.length > maxValueLength) throw new ValidationError(`Invalid secret value: longer than ${maxValueLength} characters`)
  }

  /** Compare-and-set the record under the active key; false when it changed meanwhile. */
  async function reseal (record: SecretRecord, plaintext: string) {
    const { projectId, name, version } = record
    return secrets.reseal(record.id, record.ciphertext, {
      ciphertext: keyring.seal(plaintext, aad(projectId, name, version)),
      keyId: keyring.activeKeyId,
      fingerprint: keyring.fingerprint(plaintext, fingerprintContext(projectId, name)),
      updatedAt: now()
    })
  }

  async function resolve (projectId: string, name: string) {
    const record = await secrets.latest(projectId, name)
    if (record === null) return null
    const opened = keyring.open(record.ciphertext, aad(projectId, name, record.version))
    if (opened.stale || record.keyId !== keyring.activeKeyId) {
      // The value is good whether or not this write lands; a failed write is retried next read.
      await reseal(record, opened.plaintext).catch((err: unknown) => {
        deps.onReencryptError?.(err, { projectId, name, version: record.version })
      })
    }
    return opened.plaintext
  }

  return {
    keyring,

    async put (projectId, name, value) {
      checkName(name)
      checkValue(value)
      const context = fingerprintContext(projectId, name)
      for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
        const latest = await secrets.latest(projectId, name)
        // Under a key no longer configured the fingerprint cannot be checked: store a new version.
        if (latest !== null && keyring.matches(value, context, latest.fingerprint, latest.keyId)) {
          return { ...metadata(latest), changed: false }
        }
        const version = (latest?.version ?? 0) + 1
        const at = now()
        const record: SecretRecord = {
          id: randomUUID(),
          projectId,
          name,
          version,
          ciphertext: keyring.seal(value, aad(projectId, name, version)),
          keyId: keyring.activeKeyId,
          fingerprint: keyring.fingerprint(value, context),
          createdAt: at,
          updatedAt: at
        }
        if (await secrets.insert(record)) return { ...metadata(record), changed: true }
        // Another writer took this version number: read again, maybe it stored this very value.
      }
      throw describe(new SecretConflictError(name), { retryable: true })
    },

    resolve,

    async list (projectId) {
      return (await secrets.listLatest(projectId)).map(metadata)
    },

    async remove (projectId, name) {
      return (await secrets.remove(projectId, name)) > 0
    },

    async rotate () {
      const active = keyring.activeKeyId
      const counts = await secrets.countByKeyId()
      const report: RotateReport = { scanned: 0, reencrypted: 0, alreadyCurrent: counts[active] ?? 0, failed: 0, failures: [] }
      report.scanned = report.alreadyCurrent
      // Paging by id: records this pass cannot open stay behind the cursor and are not seen twice.
      let afterId: string | undefined
      for (;;) {
        const page = await secrets.listNotUnderKey(active, { afterId, limit: ROTATE_PAGE })
        if (page.length === 0) break
        for (const record of page) {
          report.scanned++
          try {
            const { plaintext } = keyring.open(record.ciphertext, aad(record.projectId, record.name, record.version))
            if (await reseal(record, plaintext)) report.reencrypted++
            else report.alreadyCurrent++
          } catch (err) {
            report.failed++
            if (report.failures.length < MAX_REPORTED_FAILURES) {
              const { projectId, name, version, keyId } = record
              report.failures.push({ projectId, name, version, keyId, code: (err as { code?: string }).code ?? 'PULSE_INTERNAL' })
            }
          }
        }
        afterId = page.at(-1)!.id
      }
      return report
    },

    async status () {
      const counts = await secrets.countByKeyId()
      const ids = [...new Set([...keyring.keyIds, ...Object.keys(counts)])]
      return {
        activeKeyId: keyring.activeKeyId,
        keys: ids.map((keyId) => ({
          keyId,
          active: keyId === keyring.activeKeyId,
          configured: keyring.has(keyId),
          records: counts[keyId] ?? 0
        }))
      }
    },

    async providerKey (projectId, provider) {
      if (!PROVIDER_NAME.test(provider)) return null
      return resolve(projectId, providerSecretName(provider))
    }
  }
}
