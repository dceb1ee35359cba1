import { fastifyCookie } from '@fastify/cookie'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { describe, NotFoundError, ValidationError } from '../../lib/errors.js'
import { ok } from '../../lib/envelope.js'
import type { Principal } from '../core/types.js'
import { unauthorized } from './errors.js'
import type { AuthService } from './service.js'
import type { SessionService } from './session.js'
import type { ApiKeyRecord, AuthSessionRecord } from './store/store.js'
import type { SessionInfo } from './types.js'
import {
  CreatedKeyResponse, CreatedProjectResponse, CreateKeyBody, CreateProjectBody, CreateSessionBody, KeyListResponse, KeyParams,
  LoggedOutResponse, MeResponse, PageQuery, ProjectListResponse, ProjectParams, RevokedKeyResponse, SessionResponse
} from './schemas.js'

export interface AuthRouteDeps {
  service: AuthService
  sessions: SessionService
  cookie: { name: string, secure: boolean, ttlMs: number }
  maxKeyLength: number
  /** The session the request authenticated with, if it did so by cookie. */
  currentSession(request: FastifyRequest): AuthSessionRecord | undefined
  /** The session the request's cookie names, when it belongs to the caller; else null. */
  cookieSession(request: FastifyRequest): Promise<AuthSessionRecord | null>
  /** The caller re-checked without caches (an API key revoked elsewhere must not open a 24 h session). */
  freshPrincipal(request: FastifyRequest): Promise<Principal | null>
  sessionInfo(session: AuthSessionRecord): SessionInfo
}

const admin = { auth: 'admin' as const }
const adminSecurity = [{ adminKey: [] }]

function keyMeta (k: ApiKeyRecord) {
  return {
    keyId: k.id,
    prefix: k.prefix,
    name: k.name,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString(),
    revokedAt: k.revokedAt?.toISOString()
  }
}

function projectNotFound (id: string) {
  return new NotFoundError(`Project ${id} not found`)
}

const sessionSecurity: Array<Record<string, string[]>> = [{ bearer: [] }, { sessionCookie: [] }]

function sessionBody (info: SessionInfo) {
  return ok({
    projectId: info.projectId,
    ...(info.userId !== undefined ? { userId: info.userId } : {}),
    providers: info.providers,
    createdAt: info.createdAt.toISOString(),
    expiresAt: info.expiresAt.toISOString()
  })
}

function noSession () {
  return new NotFoundError('No session: the request carries no session cookie of yours')
}

export function authRoutes (deps: AuthRouteDeps) {
  const { service, sessions, cookie } = deps
  return async function routes (parent: FastifyInstance) {
    // Inside pulse-proxy's encapsulated route scope: setCookie exists for these routes only, and the
    // host's replies and requests stay as they were. A host that registered the plugin itself keeps its own.
    if (!parent.hasDecorator('parseCookie')) await parent.register(fastifyCookie)
    const scope = parent.withTypeProvider<TypeBoxTypeProvider>()
    // The cookie goes to every pulse-proxy route (the proxy needs it) and nowhere else on the host.
    const cookiePath = parent.prefix === '' ? '/' : parent.prefix
    const cookieAttributes = { path: cookiePath, httpOnly: true, secure: cookie.secure, sameSite: 'strict' as const }

    scope.post('/projects', {
      config: admin,
      schema: { tags: ['auth'], summary: 'Create a project and its first API key', security: adminSecurity, body: CreateProjectBody, response: { 201: CreatedProjectResponse } }
    }, async (request, reply) => {
      const { project, key, apiKey } = await service.createProject(request.body.name)
      reply.code(201)
      return ok({ projectId: project.id, name: project.name, apiKey, keyId: key.id, createdAt: project.createdAt.toISOString() })
    })

    scope.get('/projects', {
      config: admin,
      schema: { tags: ['auth'], summary: 'List projects', security: adminSecurity, querystring: PageQuery, response: { 200: ProjectListResponse } }
    }, async (request) => {
      const { limit, offset } = request.query
      const { projects, total } = await service.listProjects({ limit, offset })
      return ok({
        projects: projects.map((p) => ({ projectId: p.id, name: p.name, createdAt: p.createdAt.toISOString() })),
        total,
        limit,
        offset
      })
    })

    scope.post('/projects/:id/keys', {
      config: admin,
      schema: { tags: ['auth'], summary: 'Create another API key', security: adminSecurity, params: ProjectParams, body: CreateKeyBody, response: { 201: CreatedKeyResponse } }
    }, async (request, reply) => {
      const created = await service.createKey(request.params.id, request.body?.name)
      if (created === null) throw projectNotFound(request.params.id)
      reply.code(201)
      const { record, apiKey } = created
      return ok({ keyId: record.id, apiKey, prefix: record.prefix, createdAt: record.createdAt.toISOString() })
    })

    scope.get('/projects/:id/keys', {
      config: admin,
      schema: { tags: ['auth'], summary: 'List a project\'s keys (metadata only)', security: adminSecurity, params: ProjectParams, response: { 200: KeyListResponse } }
    }, async (request) => {
      const keys = await service.listKeys(request.params.id)
      if (keys === null) throw projectNotFound(request.params.id)
      return ok({ keys: keys.map(keyMeta) })
    })

    scope.delete('/projects/:id/keys/:keyId', {
      config: admin,
      schema: { tags: ['auth'], summary: 'Revoke a key', security: adminSecurity, params: KeyParams, response: { 200: RevokedKeyResponse } }
    }, async (request) => {
      const revoked = await service.revokeKey(request.params.id, request.params.keyId)
      if (revoked === null) throw new NotFoundError(`Key ${request.params.keyId} not found`)
      return ok(keyMeta(revoked))
    })

    scope.get('/me', {
      schema: { tags: ['auth'], summary: 'The calling principal', security: [{ bearer: [] }], response: { 200: MeResponse } }
    }, async (request) => {
      const { projectId, via, keyId, userId } = request.pulse!
      return ok({ projectId, via, keyId, userId })
    })

    scope.post('/auth/session', {
      schema: {
        tags: ['auth'],
        summary: 'Open a BYOK session: store your provider key encrypted and get an HttpOnly session cookie',
        description: 'With a session cookie already, adds or replaces that provider\'s key in the same session (200).',
        security: sessionSecurity,
        body: CreateSessionBody,
        response: { 200: SessionResponse, 201: SessionResponse }
      }
    }, async (request, reply) => {
      const { provider, apiKey } = request.body
      if (apiKey.length > deps.maxKeyLength) {
        throw describe(new ValidationError(`Invalid body: apiKey must be at most ${deps.maxKeyLength} characters`), {
          details: [{ in: 'body', field: 'apiKey', message: `must NOT have more than ${deps.maxKeyLength} characters` }]
        })
      }
      reply.header('cache-control', 'no-store')
      const current = deps.currentSession(request)
      if (current !== undefined) {
        const updated = await sessions.setKey(current, provider, apiKey)
        if (updated === null) throw unauthorized()
        return sessionBody(deps.sessionInfo(updated))
      }
      const principal = await deps.freshPrincipal(request)
      if (principal === null) throw unauthorized()
      const { token, session } = await sessions.open(principal, provider, apiKey)
      reply.setCookie(cookie.name, token, { ...cookieAttributes, maxAge: Math.floor(cookie.ttlMs / 1000) })
      reply.code(201)
      return sessionBody(deps.sessionInfo(session))
    })

    scope.get('/auth/session', {
      schema: { tags: ['auth'], summary: 'The caller\'s BYOK session (never its keys)', security: sessionSecurity, response: { 200: SessionResponse } }
    }, async (request, reply) => {
      reply.header('cache-control', 'no-store')
      const session = await deps.cookieSession(request)
      if (session === null) throw noSession()
      return sessionBody(deps.sessionInfo(session))
    })

    scope.delete('/auth/session', {
      schema: { tags: ['auth'], summary: 'Log out: delete the BYOK session and clear its cookie', security: sessionSecurity, response: { 200: LoggedOutResponse } }
    }, async (request, reply) => {
      const session = await deps.cookieSession(request)
      if (session === null) throw noSession()
      await sessions.end(session)
      reply.clearCookie(cookie.name, cookieAttributes)
      return ok({ loggedOut: true as const })
    })
  }
}
