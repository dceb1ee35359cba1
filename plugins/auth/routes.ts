import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { NotFoundError } from '../../lib/errors.js'
import { ok } from '../../lib/envelope.js'
import type { AuthService } from './service.js'
import type { ApiKeyRecord } from './store/store.js'
import {
  CreatedKeyResponse, CreatedProjectResponse, CreateKeyBody, CreateProjectBody, KeyListResponse, KeyParams,
  MeResponse, PageQuery, ProjectListResponse, ProjectParams, RevokedKeyResponse
} from './schemas.js'

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

export function authRoutes (service: AuthService) {
  return async function routes (parent: FastifyInstance) {
    const scope = parent.withTypeProvider<TypeBoxTypeProvider>()

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
  }
}
