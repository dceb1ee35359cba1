import type { onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify'
import type { PulseStore } from '../../lib/store/types.js'
import type { RouteAuth, ScopeOptions } from '../../lib/scope.js'
import type { CoreOptions } from './options.js'

/** Who is calling: set by pulse-auth on every authenticated request. */
export interface Principal {
  projectId: string
  userId?: string
  keyId?: string
  via: 'api_key' | 'jwt' | 'session' | 'dev'
}

/**
 * `app.pulse`: each plugin adds its service here through declaration merging of this
 * interface, beside the code that sets it (see plugins/auth/types.ts).
 */
export interface PulseNamespace {
  store: PulseStore
  options: ResolvedCoreOptions
  /** How every plugin's route scope is set up (see plugins/core/register-routes.ts). */
  scope: ScopeOptions
}

export type ResolvedCoreOptions = CoreOptions & { production: boolean }

/** The hooks pulse-auth provides; optional here so pulse-core can tell whether it is registered. */
export interface PulseAuthHooks {
  authenticate?: onRequestAsyncHookHandler
  /** The same check as a callback hook, settled synchronously when it can (pulse-proxy's routes run it). */
  authenticateHook?: onRequestHookHandler
  authenticateAdmin?: onRequestAsyncHookHandler
}

declare module 'fastify' {
  interface FastifyInstance {
    pulse: PulseNamespace
  }
  interface FastifyRequest {
    pulse: Principal | null
  }
  interface FastifyContextConfig {
    /** Who may call this pulse-proxy route; default `project`. */
    auth?: RouteAuth
    /** Set on every pulse-proxy route, so tools can tell them from the host's. */
    pulse?: boolean
  }
}
