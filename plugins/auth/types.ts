import type { FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify'
import type { Principal } from '../core/types.js'
import type { AuthService } from './service.js'

/**
 * One way to authenticate. `undefined`: the request carries no credentials of this kind (try
 * the next strategy); `null`: it does, and they are refused; a principal: accepted. A strategy
 * may also throw a pulse error (e.g. 403, 503) to answer with it.
 */
export type AuthStrategy = (request: FastifyRequest) => Promise<Principal | null | undefined>

/** What a BYOK session shows about itself: never the keys. */
export interface SessionInfo {
  projectId: string
  userId?: string
  /** Providers the session holds a key for. */
  providers: string[]
  createdAt: Date
  expiresAt: Date
}

/** `app.pulse.auth`: projects and keys, plus what other plugins need from BYOK sessions. */
export interface PulseAuth extends AuthService {
  /**
   * The provider key the request's BYOK session holds for `provider`, decrypted; null when the
   * request did not authenticate with a session cookie or the session holds no such key.
   */
  sessionProviderKey(request: FastifyRequest, provider: string): Promise<string | null>
  /** The BYOK session the request authenticated with (`request.pulse.via === 'session'`), or null. */
  session(request: FastifyRequest): SessionInfo | null
}

declare module '../core/types.js' {
  interface PulseNamespace {
    auth: PulseAuth
    /** onRequest hook: sets `request.pulse` from the caller's credentials, or answers 401 (429 when locked out). */
    authenticate: onRequestAsyncHookHandler
    /** `authenticate` as a callback hook, done at once for a key accepted within apiKeyCacheMs (pulse-proxy's routes use it). */
    authenticateHook: onRequestHookHandler
    /** onRequest hook: requires the operator's `x-admin-key`. */
    authenticateAdmin: onRequestAsyncHookHandler
    /**
     * Strategies run in the order added — api_key, jwt (when configured), dev (when enabled), then
     * yours — except `ambient` ones (credentials the browser sends by itself: the session cookie),
     * which run after every explicit one.
     */
    addAuthStrategy(name: string, strategy: AuthStrategy, opts?: { ambient?: boolean }): void
  }
}
