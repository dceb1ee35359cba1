import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { FastifyError } from 'fastify'
import { isPulseError, type ErrorInfo } from './errors.js'

export const ErrorBody = Type.Object({
  code: Type.String({ description: 'Stable upper-case code, e.g. PULSE_NOT_FOUND' }),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
  retryable: Type.Boolean(),
  correlationId: Type.String(),
  cause: Type.Optional(Type.String({ description: 'Upstream failure class, e.g. provider_timeout' }))
})

export const ErrorEnvelope = Type.Object({
  ok: Type.Literal(false),
  error: ErrorBody
}, { description: 'Every failure of a pulse-proxy route' })

export type ErrorEnvelope = Static<typeof ErrorEnvelope>

/** The success envelope around a route's data schema. */
export function Envelope<T extends TSchema> (data: T) {
  return Type.Object({ ok: Type.Literal(true), data })
}

export function ok<T> (data: T): { ok: true, data: T } {
  return { ok: true, data }
}

export interface EnvelopeReply {
  statusCode: number
  headers: Record<string, string>
  body: ErrorEnvelope
  /** False for the errors we did not expect: those are logged with their stack. */
  expected: boolean
}

interface ValidationIssue { instancePath?: string, message?: string, params?: Record<string, unknown> }

function validationDetails (err: FastifyError & { validation?: ValidationIssue[], validationContext?: string }) {
  return (err.validation ?? []).map((issue) => {
    const missing = issue.params?.missingProperty
    const path = `${issue.instancePath ?? ''}${typeof missing === 'string' ? `/${missing}` : ''}`
    const field = path.replace(/^\//, '').replaceAll('/', '.')
    return { in: err.validationContext ?? 'body', field, message: issue.message ?? 'is invalid' }
  })
}

/**
 * Turn any error into the envelope. Known Fastify errors keep their status and a safe
 * message; anything else is a 500 that says nothing of its internals.
 */
export function toEnvelope (err: unknown, correlationId: string): EnvelopeReply {
  const e = err as FastifyError & { validation?: ValidationIssue[], pulse?: ErrorInfo }
  let code = 'PULSE_INTERNAL'
  let statusCode = 500
  let message = 'Internal server error'
  let info: ErrorInfo = {}
  let expected = true

  if (isPulseError(err) && err.statusCode === 500) {
    // A 500 is our fault: its code is stable and safe, its message may describe internals
    // (key ids, configuration), so it stays in the log.
    code = err.code
    info = { ...err.pulse, details: undefined }
    expected = false
  } else if (isPulseError(err)) {
    ({ code, statusCode, message } = err)
    info = err.pulse ?? {}
  } else if (e?.validation) {
    code = 'PULSE_VALIDATION'
    statusCode = 400
    const details = validationDetails(e)
    const first = details[0]
    message = first ? `Invalid ${first.in}: ${first.field ? `${first.field} ` : ''}${first.message}` : 'Invalid request'
    info = { details }
  } else if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    code = 'PULSE_PAYLOAD_TOO_LARGE'
    statusCode = 413
    message = 'Request body is too large'
  } else if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    code = 'PULSE_UNSUPPORTED_MEDIA_TYPE'
    statusCode = 415
    message = e.message
  } else if (e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (e instanceof SyntaxError && e.statusCode === 400)) {
    code = 'PULSE_INVALID_JSON'
    statusCode = 400
    message = e.message
  } else if (e?.statusCode === 429) {
    code = 'PULSE_RATE_LIMITED'
    statusCode = 429
    message = e.message || 'Too many requests'
  } else if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 &&
    typeof e.code === 'string' && e.code.startsWith('FST_')) {
    // Fastify's own client errors carry safe, useful messages.
    code = 'PULSE_BAD_REQUEST'
    statusCode = e.statusCode
    message = e.message
  } else {
    expected = false
  }

  const body: ErrorEnvelope = {
    ok: false,
    error: {
      code,
      message,
      ...(info.details !== undefined ? { details: info.details } : {}),
      retryable: info.retryable ?? (statusCode === 429 || statusCode >= 500),
      correlationId,
      ...(info.cause !== undefined ? { cause: info.cause } : {})
    }
  }
  return { statusCode, headers: info.headers ?? {}, body, expected }
}
