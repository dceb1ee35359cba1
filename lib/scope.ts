import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler, onRequestAsyncHookHandler, onRequestHookHandler, RouteOptions } from 'fastify'
import { correlationIdFrom, REQUEST_ID_HEADER } from './correlation.js'
import { ErrorEnvelope, toEnvelope } from './envelope.js'

/** Who may call a route: a project principal (default), the operator's admin key, or anyone. */
export type RouteAuth = 'project' | 'admin' | 'none'

export interface ScopeOptions {
  bodyLimit: number
  /** Resolves the hook that enforces a route's `config.auth`; undefined when no auth plugin is registered. */
  authHook: (auth: Exclude<RouteAuth, 'none'>) => onRequestHookHandler | onRequestAsyncHookHandler | undefined
  /** See lib/validation.ts: ours, so the host's AJV settings do not change what we accept. */
  validatorCompiler: FastifySchemaCompiler<unknown>
}

export function sendEnvelopeError (err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const envelope = toEnvelope(err, String(request.id))
  if (envelope.expected) {
    request.log.info({ code: envelope.body.error.code, statusCode: envelope.statusCode }, envelope.body.error.message)
  } else {
    request.log.error({ err }, 'unhandled error')
  }
  return reply.code(envelope.statusCode).headers(envelope.headers).send(envelope.body)
}

function withErrorResponses (route: RouteOptions) {
  if (!route.schema) return
  const response = { ...(route.schema.response as Record<string, unknown> | undefined) }
  response['4xx'] ??= ErrorEnvelope
  response['5xx'] ??= ErrorEnvelope
  route.schema = { ...route.schema, response }
}

function prepend (existing: RouteOptions['onRequest'], hook: onRequestHookHandler | onRequestAsyncHookHandler) {
  if (existing === undefined) return [hook]
  return [hook, ...(Array.isArray(existing) ? existing : [existing])]
}

/**
 * Make `scope` (an encapsulated context holding pulse-proxy routes) speak pulse-proxy:
 * correlation ids, the error envelope, the body limit and per-route auth from `config.auth`.
 * Nothing here touches the host's own routes.
 */
export function installScope (scope: FastifyInstance, opts: ScopeOptions) {
  scope.addHook('onRoute', (route) => {
    route.bodyLimit ??= opts.bodyLimit
    // A new object: routes may share one config object, which is theirs, not ours.
    route.config = { ...route.config, pulse: true }
    withErrorResponses(route)
    const auth: RouteAuth = route.config?.auth ?? 'project'
    if (auth === 'none') return
    const hook = opts.authHook(auth)
    if (hook === undefined) {
      throw new Error(`pulse-proxy: route ${route.method} ${route.url} needs auth "${auth}"; register pulse-auth first`)
    }
    // Auth runs before the body is read: an anonymous caller cannot make us parse megabytes.
    route.onRequest = prepend(route.onRequest, hook)
  })

  // A callback hook, not an async one: nothing here waits, and a promise per request is not free.
  scope.addHook('onRequest', (request, reply, done) => {
    const id = correlationIdFrom(request.headers[REQUEST_ID_HEADER])
    request.id = id
    request.log = request.log.child({ correlationId: id })
    reply.log = request.log
    reply.header(REQUEST_ID_HEADER, id)
    done()
  })

  // Every pulse body is JSON: anything else is a 415, not a confusing 400 from the text parser.
  scope.removeContentTypeParser('text/plain')
  scope.setValidatorCompiler(opts.validatorCompiler)
  scope.setErrorHandler((err, request, reply) => sendEnvelopeError(err, request, reply))
}
