import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { JwksUnavailableError } from './errors.js'
import type { JwtOptions } from './options.js'

/** Three base64url segments; the last may be empty (`alg: none`), which the allow-list then refuses. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const CLAIM_VALUE = /^[\x21-\x7e]{1,128}$/

export function looksLikeJwt (token: string): boolean {
  return token.length <= 16_384 && JWT_SHAPE.test(token)
}

export interface JwtIdentity {
  projectId: string
  userId?: string
}

export interface JwtVerifier {
  /**
   * The identity a valid token carries, or null for any token we refuse (expired, wrong
   * issuer or audience, bad signature, disallowed alg, unknown kid, missing claim).
   * Throws JwksUnavailableError (503) when the key set cannot be fetched.
   */
  verify(token: string): Promise<JwtIdentity | null>
}

/** Key-matching failures say the token is bad; every other failure of the resolver is the JWKS being unreachable or broken. */
function isKeyMismatch (err: unknown): boolean {
  return err instanceof joseErrors.JWKSNoMatchingKey ||
    err instanceof joseErrors.JWKSMultipleMatchingKeys ||
    err instanceof joseErrors.JOSENotSupported ||
    err instanceof joseErrors.JWKInvalid
}

class JwksFetchFailed extends Error {}

function claim (payload: JWTPayload, name: string): string | undefined {
  const value = payload[name]
  return typeof value === 'string' && CLAIM_VALUE.test(value) ? value : undefined
}

export function createJwtVerifier (options: JwtOptions, deps: { now?: () => Date } = {}): JwtVerifier {
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs
  })
  // jose fetches with the platform fetch (undici inside Node), which is fine for one small GET.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token)
    } catch (err) {
      if (isKeyMismatch(err)) throw err
      throw new JwksFetchFailed('jwks fetch failed', { cause: err })
    }
  }

  return {
    async verify (token) {
      let payload: JWTPayload
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: options.algorithms,
          clockTolerance: options.clockToleranceSec,
          ...(deps.now !== undefined ? { currentDate: deps.now() } : {})
        }))
      } catch (err) {
        if (err instanceof JwksFetchFailed) throw new JwksUnavailableError()
        return null
      }
      const projectId = options.projectId ?? claim(payload, options.projectClaim)
      if (projectId === undefined) return null
      const userId = claim(payload, options.userClaim)
      return userId === undefined ? { projectId } : { projectId, userId }
    }
  }
}
