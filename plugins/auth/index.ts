import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { UnauthorizedError } from '../../lib/errors.js'
import { resolveOptions } from '../../lib/options.js'
import { registerRoutes } from '../core/register-routes.js'
import { looksLikeApiKey, safeEqual } from './keys.js'
import { AuthOptions } from './options.js'
import { authRoutes } from './routes.js'
import { createAuthService } from './service.js'
import { apiKeysRepository, projectsRepository } from './store/index.js'
import type { AuthStrategy } from './types.js'

export type PulseAuthOptions = Partial<AuthOptions>

// One message for every failure, so a caller cannot tell a missing key from a revoked one.
const INVALID_CREDENTIALS = 'Missing or invalid credentials'

export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer ([^\s]+)$/i.exec(header)
  return match?.[1]
}

const pulseAuthPlugin: FastifyPluginAsync<PulseAuthOptions> = async (app, raw) => {
  const options = resolveOptions(AuthOptions, raw)
  const { store } = app.pulse
  const service = createAuthService({
    projects: await store.repository('projects', projectsRepository),
    apiKeys: await store.repository('apiKeys', apiKeysRepository),
    apiKeyCacheMs: options.apiKeyCacheMs,
    touchIntervalMs: options.touchIntervalMs,
    onBackgroundError: (err) => app.log.warn({ err }, 'pulse-auth: could not record key use')
  })

  const { adminKey } = options
  if (adminKey === undefined) {
    app.log.warn('pulse-auth: no adminKey configured; the admin routes (projects and keys) answer 401')
  }

  app.pulse.auth = service

  const strategies: Array<{ name: string, strategy: AuthStrategy }> = []
  app.pulse.addAuthStrategy = (name, strategy) => { strategies.push({ name, strategy }) }

  app.pulse.addAuthStrategy('api_key', async (request) => {
    const token = bearerToken(request)
    if (token === undefined || !looksLikeApiKey(token)) return undefined
    return service.verifyApiKey(token)
  })

  app.pulse.authenticate = async function authenticate (request) {
    for (const { strategy } of strategies) {
      const principal = await strategy(request)
      if (principal === undefined) continue
      if (principal === null) break
      request.pulse = principal
      return
    }
    throw new UnauthorizedError(INVALID_CREDENTIALS)
  }

  app.pulse.authenticateAdmin = async function authenticateAdmin (request) {
    if (adminKey === undefined) throw new UnauthorizedError('The admin API is disabled: no adminKey is configured')
    const given = request.headers['x-admin-key']
    if (typeof given !== 'string' || !safeEqual(given, adminKey)) throw new UnauthorizedError('Missing or invalid admin key')
  }

  await registerRoutes(app, authRoutes(service))
}

export const pulseAuth = fp(pulseAuthPlugin, { name: 'pulse-auth', fastify: '5.x', dependencies: ['pulse-core'] })
