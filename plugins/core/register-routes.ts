import type { FastifyInstance } from 'fastify'
import { installScope } from '../../lib/scope.js'
import type { PulseAuthHooks } from './types.js'

/**
 * Register a plugin's routes in an encapsulated child under the pulse prefix, speaking
 * pulse-proxy (envelope, correlation id, body limit, per-route auth). Every plugin uses this.
 */
export async function registerRoutes (app: FastifyInstance, routes: (scope: FastifyInstance) => Promise<void>) {
  const { prefix, bodyLimit } = app.pulse.options
  await app.register(async (scope) => {
    installScope(scope, {
      bodyLimit,
      authHook: (auth) => {
        const hooks = app.pulse as PulseAuthHooks
        return auth === 'admin' ? hooks.authenticateAdmin : hooks.authenticate
      }
    })
    await routes(scope)
  }, { prefix })
}
