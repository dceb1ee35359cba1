import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto'

export const API_KEY_PREFIX = 'pulse_sk_'
const API_KEY_SHAPE = /^pulse_sk_[A-Za-z0-9_-]{43,128}$/

/** `pulse_sk_` + 32 random bytes, base64url. */
export function generateApiKey (): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url')
}

export function looksLikeApiKey (token: string): boolean {
  return API_KEY_SHAPE.test(token)
}

export function hashApiKey (key: string): string {
  // One-shot crypto.hash (Node ≥ 20.12): no Hash object per authenticated request.
  return hash('sha256', key, 'hex')
}

/** Enough to tell keys apart in a list, far too little to guess the rest. */
export function displayPrefix (key: string): string {
  return `${key.slice(0, API_KEY_PREFIX.length + 6)}…`
}

/** Compare secrets in constant time whatever their lengths (both sides are hashed first). */
export function safeEqual (a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}
