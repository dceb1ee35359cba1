import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { NotFoundError } from '../../lib/errors.js'
import { ok } from '../../lib/envelope.js'
import type { SecretMetadata, VaultService } from './service.js'
import {
  DeletedSecretResponse, putSecretBody, PutSecretResponse, RotateResponse, SecretListResponse, SecretParams, StatusResponse
} from './schemas.js'

const FINGERPRINT_TAIL = 8
const bearer = [{ bearer: [] }]
const adminSecurity = [{ adminKey: [] }]

function meta (m: SecretMetadata) {
  return {
    name: m.name,
    version: m.version,
    fingerprint: m.fingerprint.slice(-FINGERPRINT_TAIL),
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString()
  }
}

export function vaultRoutes (vault: VaultService, opts: { maxValueLength: number }) {
  const PutSecretBody = putSecretBody(opts.maxValueLength)

  return async function routes (parent: FastifyInstance) {
    const scope = parent.withTypeProvider<TypeBoxTypeProvider>()

    scope.put('/secrets/:name', {
      schema: {
        tags: ['vault'],
        summary: 'Store a secret (a new version when the value changed; a no-op when it did not)',
        security: bearer,
        params: SecretParams,
        body: PutSecretBody,
        response: { 200: PutSecretResponse }
      }
    }, async (request) => {
      const result = await vault.put(request.pulse!.projectId, request.params.name, request.body.value)
      return ok({ ...meta(result), changed: result.changed })
    })

    scope.get('/secrets', {
      schema: { tags: ['vault'], summary: 'The project\'s secrets: metadata only, never values', security: bearer, response: { 200: SecretListResponse } }
    }, async (request) => {
      const secrets = await vault.list(request.pulse!.projectId)
      return ok({ secrets: secrets.map(meta) })
    })

    scope.delete('/secrets/:name', {
      schema: { tags: ['vault'], summary: 'Delete a secret and all its versions', security: bearer, params: SecretParams, response: { 200: DeletedSecretResponse } }
    }, async (request) => {
      const { name } = request.params
      if (!await vault.remove(request.pulse!.projectId, name)) throw new NotFoundError(`Secret ${name} not found`)
      return ok({ name, deleted: true as const })
    })

    scope.get('/vault/status', {
      config: { auth: 'admin' },
      schema: { tags: ['vault'], summary: 'Records per encryption key id (rotation progress), all projects', security: adminSecurity, response: { 200: StatusResponse } }
    }, async () => ok(await vault.status()))

    scope.post('/vault/rotate', {
      config: { auth: 'admin' },
      schema: { tags: ['vault'], summary: 'Re-encrypt every secret not under the active key, all projects', security: adminSecurity, response: { 200: RotateResponse } }
    }, async () => ok(await vault.rotate()))
  }
}
