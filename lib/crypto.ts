import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import createError from '@fastify/error'
import { OptionError } from './errors.js'

export const UnknownKeyError = createError<[string]>('PULSE_VAULT_UNKNOWN_KEY',
  'Encrypted with key id %s, which is not among the configured vault keys (vault.keys)', 500)
export const DecryptError = createError<[]>('PULSE_VAULT_DECRYPT_FAILED',
  'Ciphertext failed authentication: tampered, or bound to another record', 500)
export const WeakKeyError = createError<[number]>('PULSE_BAD_OPTION',
  'pulse-proxy: option "vault.keys" entries must be at least %s characters in production', 500)

const VERSION = 'v1'
const SALT = Buffer.from('pulse-proxy/vault/v1')
const IV_BYTES = 12
const TAG_BYTES = 16
export const MIN_PRODUCTION_SECRET_LENGTH = 32

interface DerivedKey {
  id: string
  enc: Buffer
  mac: Buffer
}

function derive (secret: string): DerivedKey {
  const ikm = Buffer.from(secret, 'utf8')
  const enc = Buffer.from(hkdfSync('sha256', ikm, SALT, 'aes-256-gcm', 32))
  const mac = Buffer.from(hkdfSync('sha256', ikm, SALT, 'fingerprint', 32))
  // The id names the key in each ciphertext; derived, so it says nothing about the key.
  const id = createHash('sha256').update(Buffer.from(hkdfSync('sha256', ikm, SALT, 'key-id', 16))).digest('hex').slice(0, 12)
  return { id, enc, mac }
}

// base64url decoding skips characters it does not know; insisting on the canonical form means
// an edited ciphertext can never decode to the same bytes and still pass.
function strictBase64url (part: string): Buffer | undefined {
  const bytes = Buffer.from(part, 'base64url')
  return bytes.toString('base64url') === part ? bytes : undefined
}

export interface Opened {
  plaintext: string
  /** The key id the ciphertext was under. */
  kid: string
  /** True when that key is not the active one: the caller should re-seal. */
  stale: boolean
}

/**
 * AES-256-GCM with keys derived by HKDF-SHA256 from configured secrets. The first secret is
 * active (new ciphertexts); the rest only decrypt. Associated data binds a ciphertext to its
 * record, so a ciphertext copied onto another record does not open.
 * Format: `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts, 96-bit random IV, 128-bit tag).
 */
export class Keyring {
  private readonly keys: DerivedKey[]
  private readonly byId: Map<string, DerivedKey>

  constructor (secrets: string[], opts: { production?: boolean } = {}) {
    if (secrets.length === 0) throw new OptionError('option "vault.keys" needs at least one secret')
    if (opts.production && secrets.some((s) => s.length < MIN_PRODUCTION_SECRET_LENGTH)) {
      throw new WeakKeyError(MIN_PRODUCTION_SECRET_LENGTH)
    }
    this.keys = secrets.map(derive)
    this.byId = new Map()
    // The same secret listed twice (active repeated as previous) is one key.
    for (const k of this.keys) if (!this.byId.has(k.id)) this.byId.set(k.id, k)
  }

  get activeKeyId (): string {
    return this.keys[0]!.id
  }

  get keyIds (): string[] {
    return [...this.byId.keys()]
  }

  has (kid: string): boolean {
    return this.byId.has(kid)
  }

  seal (plaintext: string, aad: string): string {
    const key = this.keys[0]!
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', key.enc, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(aad, 'utf8'))
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return [VERSION, key.id, iv.toString('base64url'), ct.toString('base64url'), tag.toString('base64url')].join('.')
  }

  /** The key id a sealed value names, without opening it. */
  static keyIdOf (sealed: string): string | undefined {
    const parts = sealed.split('.')
    return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined
  }

  /**
   * Throws `PULSE_VAULT_UNKNOWN_KEY` (naming the key id) when the ciphertext is under a key
   * not configured, `PULSE_VAULT_DECRYPT_FAILED` when it is malformed, tampered with or bound
   * to other associated data. Never returns partial plaintext.
   */
  open (sealed: string, aad: string): Opened {
    const parts = sealed.split('.')
    if (parts.length !== 5 || parts[0] !== VERSION) throw new DecryptError()
    const [, kid, ivPart, ctPart, tagPart] = parts as [string, string, string, string, string]
    const key = this.byId.get(kid)
    if (key === undefined) throw new UnknownKeyError(kid)
    const iv = strictBase64url(ivPart)
    const ct = strictBase64url(ctPart)
    const tag = strictBase64url(tagPart)
    // Node accepts GCM tags as short as 4 bytes unless told the length: a truncated tag
    // would make forgeries cheap, so anything but the full 16 bytes is refused.
    if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ct === undefined) throw new DecryptError()
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.enc, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(aad, 'utf8'))
      decipher.setAuthTag(tag)
      // GCM authenticates in final(): the plaintext is only assembled once that has passed.
      const plaintext = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8')
      return { plaintext, kid, stale: kid !== this.activeKeyId }
    } catch {
      throw new DecryptError()
    }
  }

  /**
   * A keyed fingerprint (HMAC-SHA256 under the given key, default the active one) of a value
   * in a context, to tell whether a value changed without storing or comparing plaintext.
   */
  fingerprint (value: string, context: string, kid = this.activeKeyId): string {
    const key = this.byId.get(kid)
    if (key === undefined) throw new UnknownKeyError(kid)
    return createHmac('sha256', key.mac).update(context).update('\0').update(value).digest('hex')
  }

  /** Constant-time: does `value` have this fingerprint under key `kid`? False when the key is unknown. */
  matches (value: string, context: string, fingerprint: string, kid: string): boolean {
    if (!this.byId.has(kid)) return false
    const a = Buffer.from(this.fingerprint(value, context, kid), 'hex')
    const b = Buffer.from(fingerprint, 'hex')
    return a.length === b.length && timingSafeEqual(a, b)
  }
}
