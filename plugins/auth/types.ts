import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { Principal } from '../core/types.js'
import type { AuthService } from './service.js'

/**
 * One way to authenticate. `undefined`: the request carries no credentials of this kind (try
 * the next strategy); `null`: it does, and they are refused; a principal: accepted.
 */
export type AuthStrategy = (request: FastifyRequest) => Promise<Principal | null | undefined>

declare module '../core/types.js' {
  interface PulseNamespace {
    auth: AuthService
    /** onRequest hook: sets `request.pulse` from the caller's credentials, or answers 401. */
    authenticate: onRequestAsyncHookHandler
    /** onRequest hook: requires the operator's `x-admin-key`. */
    authenticateAdmin: onRequestAsyncHookHandler
    /** Strategies run in the order added; the API-key strategy is first. */
    addAuthStrategy(name: string, strategy: AuthStrategy): void
  }
}
