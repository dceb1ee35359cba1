import type { FastifyInstance } from 'fastify'
import { installScope } from '../../lib/scope.js'

/**
 * Register a plugin's routes in an encapsulated child under the pulse prefix, speaking
 * pulse-proxy (envelope, correlation id, body limit, per-route auth). Every plugin uses this.
 */
export async function registerRoutes (app: FastifyInstance, routes: (scope: FastifyInstance) => Promise<void>) {
  await app.register(async (scope) => {
    installScope(scope, app.pulse.scope)
    await routes(scope)
  }, { prefix: app.pulse.options.prefix })
}
