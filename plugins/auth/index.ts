import fp from 'fastify-plugin'
import { fastifyCookie } from '@fastify/cookie'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { isPulseError, OptionError } from '../../lib/errors.js'
import { resolveOptions } from '../../lib/options.js'
import type { Principal } from '../core/types.js'
import { registerRoutes } from '../core/register-routes.js'
import { OriginNotAllowedError, unauthorized } from './errors.js'
import { createFailureGuard } from './guard.js'
import { createJwtVerifier, looksLikeJwt } from './jwt.js'
import { looksLikeApiKey, safeEqual } from './keys.js'
import { isLoopback, isLoopbackUrl } from '../../lib/net.js'
import { AuthOptions, type AuthOptionsInput } from './options.js'
import { authRoutes } from './routes.js'
import { createAuthService } from './service.js'
import { createSessionService, type Sealer } from './session.js'
import { apiKeysRepository, authSessionsRepository, projectsRepository, type AuthSessionRecord } from './store/index.js'
import type { AuthStrategy, PulseAuth, SessionInfo } from './types.js'

export type PulseAuthOptions = AuthOptionsInput & {
  /** Clock for key caching, JWT times and session expiry; tests inject one. */
  now?: () => Date
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip']

export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer ([^\s]+)$/i.exec(header)
  return match?.[1]
}

/** 401 and 403 are a client failing to authenticate: those count towards the lock-out; a 503 does not. */
function isAuthFailure (err: unknown): boolean {
  return isPulseError(err) && (err.statusCode === 401 || err.statusCode === 403)
}

function refuseInProduction (production: boolean, options: AuthOptions) {
  if (!production) return
  if (options.devAuth) {
    throw new OptionError('option "auth.devAuth" must not be enabled in production (production: true or NODE_ENV=production)')
  }
  if (!options.session.secure) {
    throw new OptionError('option "auth.session.secure" must not be false in production: the session cookie would travel over plain http')
  }
  if (options.jwt !== undefined && options.jwt.jwksUrl.startsWith('http:') && !isLoopbackUrl(options.jwt.jwksUrl)) {
    throw new OptionError('option "auth.jwt.jwksUrl" must use https:// in production (http:// only for a loopback host)')
  }
}

const pulseAuthPlugin: FastifyPluginAsync<PulseAuthOptions> = async (app, raw) => {
  const { now: clock, ...rest } = raw ?? {}
  const options = resolveOptions(AuthOptions, rest, 'auth')
  refuseInProduction(app.pulse.options.production, options)
  const now = clock ?? (() => new Date())

  const { store } = app.pulse
  const sessions = await store.repository('authSessions', authSessionsRepository)
  const service = createAuthService({
    projects: await store.repository('projects', projectsRepository),
    apiKeys: await store.repository('apiKeys', apiKeysRepository),
    sessions,
    apiKeyCacheMs: options.apiKeyCacheMs,
    touchIntervalMs: options.touchIntervalMs,
    now,
    onBackgroundError: (err) => app.log.warn({ err }, 'pulse-auth: could not record key use')
  })
  const sessionService = createSessionService({
    sessions,
    ttlMs: options.session.ttlMs,
    now,
    // pulse-vault registers after us, so ask for its keyring when a session needs it.
    sealer: () => (app.pulse as { vault?: { keyring?: Sealer } }).vault?.keyring,
    onBackgroundError: (err) => app.log.warn({ err }, 'pulse-auth: could not re-seal a session key')
  })
  const guard = await createFailureGuard(app, options.rateLimit)

  const { adminKey } = options
  if (adminKey === undefined) {
    app.log.warn('pulse-auth: no adminKey configured; the admin routes (projects and keys) answer 401')
  }

  // The session each request authenticated with; a WeakMap, so nothing undeclared sits on the request.
  const sessionOfRequest = new WeakMap<FastifyRequest, AuthSessionRecord>()
  const { cookieName } = options.session
  const allowedOrigins = new Set(options.session.allowedOrigins.map((o) => new URL(o).origin))

  function cookieToken (request: FastifyRequest): string | undefined {
    const header = request.headers.cookie
    if (header === undefined) return undefined
    // Parsed here rather than by a cookie hook: this runs in every plugin's routes, not only ours.
    return fastifyCookie.parse(header)[cookieName]
  }

  const auth: PulseAuth = {
    ...service,
    async sessionProviderKey (request, provider) {
      const session = sessionOfRequest.get(request)
      return session === undefined ? null : sessionService.providerKey(session, provider)
    },
    session (request) {
      const session = sessionOfRequest.get(request)
      return session === undefined ? null : sessionInfo(session)
    }
  }
  app.pulse.auth = auth

  // Credentials the client names explicitly (headers) are tried before ambient ones (the cookie a
  // browser attaches on its own), so an explicit key is never overridden, or CSRF-checked, by a cookie.
  const explicit: Array<{ name: string, strategy: AuthStrategy }> = []
  const ambient: Array<{ name: string, strategy: AuthStrategy }> = []
  let strategies: Array<{ name: string, strategy: AuthStrategy }> = []
  app.pulse.addAuthStrategy = (name, strategy, opts) => {
    (opts?.ambient === true ? ambient : explicit).push({ name, strategy })
    strategies = [...explicit, ...ambient]
  }

  app.pulse.addAuthStrategy('api_key', async (request) => {
    const token = bearerToken(request)
    if (token === undefined || !looksLikeApiKey(token)) return undefined
    return service.verifyApiKey(token)
  })

  if (options.jwt !== undefined) {
    const jwt = options.jwt
    const verifier = createJwtVerifier(jwt, { now })
    app.log.info({ jwksUrl: jwt.jwksUrl, issuer: jwt.issuer, audience: jwt.audience, algorithms: jwt.algorithms },
      'pulse-auth: JWT bearer tokens accepted')
    app.pulse.addAuthStrategy('jwt', async (request) => {
      const token = bearerToken(request)
      if (token === undefined || !looksLikeJwt(token)) return undefined
      const identity = await verifier.verify(token)
      if (identity === null || !await service.projectExists(identity.projectId)) return null
      return { ...identity, via: 'jwt' }
    })
  }

  app.pulse.addAuthStrategy('session', async (request) => {
    const token = cookieToken(request)
    if (token === undefined) return undefined
    // CSRF: a browser names the page's origin on every cross-site write; SameSite=Strict is the first line.
    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin
      if (origin === undefined || !allowedOrigins.has(origin)) throw new OriginNotAllowedError()
    }
    const session = await sessionService.resolve(token)
    if (session === null) return null
    sessionOfRequest.set(request, session)
    const principal: Principal = { projectId: session.projectId, via: 'session' }
    if (session.userId !== undefined) principal.userId = session.userId
    if (session.keyId !== undefined) principal.keyId = session.keyId
    return principal
  }, { ambient: true })

  if (options.devAuth) {
    const header = options.devHeader
    app.log.warn(`pulse-auth: devAuth is ON: "${header}" names the project for loopback callers, with no credentials. Never in production.`)
    app.pulse.addAuthStrategy('dev', async (request) => {
      const projectId = request.headers[header]
      if (projectId === undefined) return undefined
      // The socket's address, never X-Forwarded-For or request.ip (which trustProxy may take from a header).
      if (typeof projectId !== 'string' || !isLoopback(request.socket.remoteAddress)) return null
      // A loopback peer that forwards for someone else (a reverse proxy on this machine) is not local.
      if (FORWARDING_HEADERS.some((h) => request.headers[h] !== undefined)) return null
      if (!await service.projectExists(projectId)) return null
      return { projectId, via: 'dev' }
    })
  }

  app.pulse.authenticate = async function authenticate (request) {
    await guard.check(request)
    try {
      for (const { strategy } of strategies) {
        const principal = await strategy(request)
        if (principal === undefined) continue
        if (principal === null) break
        request.pulse = principal
        return
      }
      throw unauthorized()
    } catch (err) {
      if (isAuthFailure(err)) await guard.failed(request)
      throw err
    }
  }

  // What pulse-proxy's routes run: a key accepted moments ago (most calls) is settled here,
  // with no promise; every other request takes authenticate() as it is.
  app.pulse.authenticateHook = function authenticateHook (request, reply, done) {
    if (!guard.mayBeLocked(request)) {
      const token = bearerToken(request)
      // The api_key strategy is tried first: when it has the answer, it is the answer.
      const principal = token === undefined ? undefined : service.cachedApiKey(token)
      if (principal !== undefined) {
        request.pulse = principal
        done()
        return
      }
    }
    // As registered on app.pulse (a host may have wrapped it); a rejection without an Error is still a refusal.
    app.pulse.authenticate.call(this, request, reply).then(() => { done() }, (err: unknown) => { done(err instanceof Error ? err : unauthorized()) })
  }

  app.pulse.authenticateAdmin = async function authenticateAdmin (request) {
    await guard.check(request)
    if (adminKey === undefined) throw unauthorized('The admin API is disabled: no adminKey is configured')
    const given = request.headers['x-admin-key']
    if (typeof given !== 'string' || !safeEqual(given, adminKey)) {
      await guard.failed(request)
      throw unauthorized('Missing or invalid admin key')
    }
  }

  await registerRoutes(app, authRoutes({
    service,
    sessions: sessionService,
    cookie: { name: cookieName, secure: options.session.secure, ttlMs: options.session.ttlMs },
    maxKeyLength: options.session.maxKeyLength,
    currentSession: (request) => sessionOfRequest.get(request),
    async cookieSession (request) {
      const principal = request.pulse
      const current = sessionOfRequest.get(request)
      if (current !== undefined) return current
      const token = cookieToken(request)
      if (principal === null || token === undefined) return null
      const session = await sessionService.resolve(token)
      // Another project's (or user's) session is not found, exactly like a missing one.
      if (session === null || session.projectId !== principal.projectId || session.userId !== principal.userId) return null
      return session
    },
    async freshPrincipal (request) {
      const principal = request.pulse
      if (principal?.via !== 'api_key') return principal
      const token = bearerToken(request)
      return token === undefined ? null : service.verifyApiKey(token, { fresh: true })
    },
    sessionInfo
  }))
}

function sessionInfo (session: AuthSessionRecord): SessionInfo {
  const info: SessionInfo = {
    projectId: session.projectId,
    providers: Object.keys(session.keys).sort(),
    createdAt: session.createdAt,
    expiresAt: session.expiresAt
  }
  if (session.userId !== undefined) info.userId = session.userId
  return info
}

export const pulseAuth = fp(pulseAuthPlugin, { name: 'pulse-auth', fastify: '5.x', dependencies: ['pulse-core'] })
