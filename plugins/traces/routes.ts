import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { describe, PayloadTooLargeError } from '../../lib/errors.js'
import { ok } from '../../lib/envelope.js'
import { sendEnvelopeError } from '../../lib/scope.js'
import { BatchTooLargeError, InvalidTraceError, SessionNotFoundError, TraceNotFoundError } from './errors.js'
import {
  IngestResponse, MAX_BATCH, SessionResponse, TraceBatch, TraceListQuery, TraceListResponse, TraceParams, TraceResponse,
  type StoredTrace
} from './schemas.js'
import type { TracesService } from './service.js'
import type { TraceRecord } from './store/store.js'

const security = [{ bearer: [] }]

/** The stored record as the API shows it. */
export function toView (r: TraceRecord): StoredTrace {
  const { project_id: _p, expires_at: _e, timestamp, received_at: receivedAt, ...rest } = r
  return { ...rest, timestamp: timestamp.toISOString(), received_at: receivedAt.toISOString() } as StoredTrace
}

interface Issue { index?: number, field: string, message: string }

/** `/3/status` → item 3, field `status`, so a client can find the bad trace in its batch. */
function batchIssue (e: FastifySchemaValidationError): Issue {
  const missing = (e.params as { missingProperty?: unknown } | undefined)?.missingProperty
  const parts = (e.instancePath ?? '').split('/').slice(1)
  if (typeof missing === 'string') parts.push(missing)
  const allowed = (e.params as { allowedValues?: unknown } | undefined)?.allowedValues
  const message = typeof missing === 'string'
    ? 'is required'
    : `${e.message ?? 'is invalid'}${Array.isArray(allowed) ? ` (${allowed.join(', ')})` : ''}`
  if (parts.length === 0) return { field: '', message }
  const index = Number(parts[0])
  return Number.isInteger(index) ? { index, field: parts.slice(1).join('.'), message } : { field: parts.join('.'), message }
}

export function tracesRoutes (service: TracesService, opts: { batchBodyLimit: number }) {
  return async function routes (parent: FastifyInstance) {
    const scope = parent.withTypeProvider<TypeBoxTypeProvider>()

    scope.post('/traces/batch', {
      bodyLimit: opts.batchBodyLimit,
      schema: {
        tags: ['traces'],
        summary: `Store 1–${MAX_BATCH} traces (idempotent on trace_id); 202 once they are stored`,
        security,
        body: TraceBatch,
        response: { 202: IngestResponse }
      },
      // Too many items is a size problem (413), checked before the items are validated.
      preValidation: async (request) => {
        const body = request.body
        if (Array.isArray(body) && body.length > MAX_BATCH) {
          throw describe(new BatchTooLargeError(MAX_BATCH, body.length), { details: { maxItems: MAX_BATCH, items: body.length } })
        }
      },
      schemaErrorFormatter: (errors) => {
        const issue = batchIssue(errors[0]!)
        const message = issue.index === undefined
          ? `Invalid batch: the body must be an array of 1–${MAX_BATCH} traces${issue.field ? ` (${issue.field} ${issue.message})` : ` (${issue.message})`}`
          : `Invalid trace at index ${issue.index}: ${issue.field ? `${issue.field} ` : ''}${issue.message}`
        return describe(new InvalidTraceError(message), { details: [issue] })
      },
      errorHandler: (err: FastifyError, request, reply) => {
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          const tooLarge = describe(new PayloadTooLargeError(opts.batchBodyLimit), { details: { limitBytes: opts.batchBodyLimit, maxItems: MAX_BATCH } })
          return sendEnvelopeError(tooLarge, request, reply)
        }
        return sendEnvelopeError(err, request, reply)
      }
    }, async (request, reply) => {
      const result = await service.ingest(request.pulse!.projectId, request.body)
      reply.code(202)
      return ok(result)
    })

    scope.get('/traces', {
      schema: { tags: ['traces'], summary: 'List traces, newest first', security, querystring: TraceListQuery, response: { 200: TraceListResponse } }
    }, async (request) => {
      const { limit, offset } = request.query
      const { traces, total } = await service.list(request.pulse!.projectId, request.query)
      return ok({ traces: traces.map(toView), total, limit, offset })
    })

    scope.get('/traces/:id', {
      schema: { tags: ['traces'], summary: 'One trace', security, params: TraceParams, response: { 200: TraceResponse } }
    }, async (request) => {
      const found = await service.get(request.pulse!.projectId, request.params.id)
      // Another project's trace is indistinguishable from a missing one.
      if (found === null) throw new TraceNotFoundError(request.params.id)
      return ok(toView(found))
    })

    scope.get('/sessions/:id', {
      schema: { tags: ['traces'], summary: 'A session\'s traces, oldest first', security, params: TraceParams, response: { 200: SessionResponse } }
    }, async (request) => {
      const traces = await service.session(request.pulse!.projectId, request.params.id)
      if (traces.length === 0) throw new SessionNotFoundError(request.params.id)
      return ok({ sessionId: request.params.id, traces: traces.map(toView) })
    })
  }
}
