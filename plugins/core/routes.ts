import type { FastifyInstance } from 'fastify'
import { NotFoundError, UnavailableError, describe } from '../../lib/errors.js'
import { ok } from '../../lib/envelope.js'
import { sendEnvelopeError } from '../../lib/scope.js'
import { HealthResponse } from './schemas.js'

export async function coreRoutes (scope: FastifyInstance) {
  const { store, options } = scope.pulse

  scope.get('/health', {
    config: { auth: 'none' },
    schema: { tags: ['core'], summary: 'Liveness and store reachability', response: { 200: HealthResponse } }
  }, async () => {
    try {
      await store.ping()
    } catch {
      throw describe(new UnavailableError('The store is not reachable'), { retryable: true })
    }
    return ok({ status: 'ok' as const, service: 'pulse' as const, store: store.kind })
  })

  if (options.openapi.enabled) {
    scope.get(options.openapi.path, {
      config: { auth: 'none' },
      schema: { tags: ['core'], summary: 'This OpenAPI document', hide: true }
    }, async () => scope.swagger())
  }

  // Only paths under the prefix reach this handler, so the host's own 404s are untouched.
  // At the root ('' prefix) the 404s are the host's, and so is a prefix it already handles.
  if (options.prefix === '') return
  try {
    scope.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]
      return sendEnvelopeError(new NotFoundError(`No route ${request.method} ${path}`), request, reply)
    })
  } catch (err) {
    scope.log.warn({ err }, `pulse-core: the host already handles 404s under ${options.prefix}; keeping its handler`)
  }
}
