import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import type { FastifyPluginAsync } from 'fastify'
import { OptionError } from '../../lib/errors.js'
import { resolveOptions } from '../../lib/options.js'
import { isPulseStore, memoryStore } from '../../lib/store/index.js'
import type { PulseStore } from '../../lib/store/types.js'
import { CoreOptions } from './options.js'
import { registerRoutes } from './register-routes.js'
import { coreRoutes } from './routes.js'
import type { ScopeOptions } from '../../lib/scope.js'
import { createValidatorCompiler } from '../../lib/validation.js'
import type { PulseAuthHooks, PulseNamespace } from './types.js'

export interface PulseCoreOptions extends Partial<CoreOptions> {
  /** Default: `memoryStore()`. pulse-proxy closes the store on `app.close()`. */
  store?: PulseStore
}

const pulseCorePlugin: FastifyPluginAsync<PulseCoreOptions> = async (app, raw) => {
  const { store: given, ...rest } = raw
  if (given !== undefined && !isPulseStore(given)) {
    throw new OptionError('option "store" must be memoryStore() or mongoStore({ db } | { url })')
  }
  const resolved = resolveOptions(CoreOptions, rest)
  // A safety default read at registration, not import: a host that forgets to say
  // `production` still gets production's refusals when NODE_ENV says so.
  const options = { ...resolved, production: resolved.production ?? process.env.NODE_ENV === 'production' }
  const store = given ?? memoryStore()
  await store.open({ log: app.log })

  // The other plugins fill in their parts (auth, vault, traces, …) as they register.
  const scope: ScopeOptions = {
    bodyLimit: options.bodyLimit,
    validatorCompiler: createValidatorCompiler(),
    // Looked up per route, so routes registered after pulse-auth find its hooks.
    authHook: (auth) => {
      const hooks = app.pulse as PulseAuthHooks
      return auth === 'admin' ? hooks.authenticateAdmin : hooks.authenticateHook ?? hooks.authenticate
    }
  }
  app.decorate('pulse', { store, options, scope } as PulseNamespace)
  app.decorateRequest('pulse', null)
  app.addHook('onClose', async () => { await store.close() })

  if (options.openapi.enabled && !app.hasDecorator('swagger')) {
    await app.register(swagger, {
      openapi: {
        info: { title: 'pulse-proxy', version: '0.1.0' },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'A project API key (pulse_sk_…) or a JWT from the configured issuer' },
            adminKey: { type: 'apiKey', in: 'header', name: 'x-admin-key' },
            // The default cookie name; auth.session.cookieName may change it.
            sessionCookie: { type: 'apiKey', in: 'cookie', name: 'pulse_session', description: 'BYOK session cookie from POST /auth/session' }
          }
        }
      },
      // The host's routes are its own business: publish pulse-proxy's only.
      transform: ({ schema, url, route }) => ({
        schema: route.config?.pulse === true ? schema : { ...schema, hide: true },
        url
      })
    })
  }

  await registerRoutes(app, coreRoutes)
}

export const pulseCore = fp(pulseCorePlugin, { name: 'pulse-core', fastify: '5.x' })
