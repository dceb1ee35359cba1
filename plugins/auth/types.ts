import type { onRequestAsyncHookHandler } from 'fastify'
import type { AuthService } from './service.js'

declare module '../core/types.js' {
  interface PulseNamespace {
    auth: AuthService
    /** onRequest hook: sets `request.pulse` from the caller's credentials, or answers 401. */
    authenticate: onRequestAsyncHookHandler
    /** onRequest hook: requires the operator's `x-admin-key`. */
    authenticateAdmin: onRequestAsyncHookHandler
  }
}
