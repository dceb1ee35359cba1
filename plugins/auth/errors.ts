import createError from '@fastify/error'
import { describe, UnauthorizedError } from '../../lib/errors.js'

// The shared PULSE_UNAUTHORIZED (401), PULSE_NOT_FOUND (404) and PULSE_RATE_LIMITED (429) come
// from lib/errors.ts; these are the failures only pulse-auth produces.

/** The issuer's key set could not be fetched: the token may be fine, we cannot tell. */
export const JwksUnavailableError = createError<[]>('PULSE_AUTH_JWKS_UNAVAILABLE',
  'Cannot verify the token now: the issuer\'s signing keys (JWKS) are unreachable', 503)

/** A cookie-authenticated state-changing request from an origin not in `auth.session.allowedOrigins`. */
export const OriginNotAllowedError = createError<[]>('PULSE_AUTH_ORIGIN_NOT_ALLOWED',
  'Cookie-authenticated requests that change state must come from an allowed Origin', 403)

/** BYOK sessions seal provider keys with pulse-vault's keyring; the host did not register it. */
export const VaultMissingError = createError<[]>('PULSE_AUTH_VAULT_MISSING',
  'BYOK sessions need pulse-vault, which is not registered', 500)

/** One message for every refused credential, so a caller cannot tell a missing key from a revoked one. */
export const INVALID_CREDENTIALS = 'Missing or invalid credentials'

/** The 401 every authentication failure answers with (same body, same challenge header). */
export function unauthorized (message = INVALID_CREDENTIALS) {
  return describe(new UnauthorizedError(message), { headers: { 'www-authenticate': 'Bearer realm="pulse"' } })
}
