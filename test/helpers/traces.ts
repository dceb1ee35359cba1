import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Trace } from '../../plugins/traces/schemas.js'
import type { TraceRecord } from '../../plugins/traces/store/store.js'
import { bearer } from './app.js'

/** A valid trace; override any field. */
export function makeTrace (o: Partial<Trace> = {}): Trace {
  return {
    trace_id: randomUUID(),
    timestamp: new Date().toISOString(),
    provider: 'openai',
    model_requested: 'gpt-4o-mini',
    request_body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    status: 'success',
    latency_ms: 100,
    ...o
  }
}

/** A stored record, as the service would build it (for repository tests). */
export function makeRecord (projectId: string, o: Partial<TraceRecord> = {}): TraceRecord {
  const at = o.timestamp ?? new Date()
  return {
    project_id: projectId,
    trace_id: randomUUID(),
    timestamp: at,
    received_at: at,
    provider: 'openai',
    model_requested: 'gpt-4o-mini',
    request_body: { messages: [] },
    status: 'success',
    latency_ms: 100,
    ...o
  }
}

export async function postBatch (app: FastifyInstance, apiKey: string, body: unknown) {
  return app.inject({ method: 'POST', url: '/v1/traces/batch', headers: bearer(apiKey), payload: body as object })
}
