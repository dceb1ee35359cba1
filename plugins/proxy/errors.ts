import createError from '@fastify/error'
import { describe } from '../../lib/errors.js'
import type { UpstreamFailure } from './providers/errors.js'
import type { StreamFault } from './stream/faults.js'

export const ProviderKeyMissingError = createError<[string, string]>('PULSE_PROVIDER_KEY_MISSING',
  'No key for provider "%s": store the project secret "%s" (PUT /secrets/:name) or open a BYOK session holding one', 400)
export const ProviderNotConfiguredError = createError<[string]>('PULSE_PROVIDER_NOT_CONFIGURED', '%s', 400)
export const ProviderUnsupportedError = createError<[string]>('PULSE_PROVIDER_UNSUPPORTED', '%s', 400)
export const ProviderInputRejectedError = createError<[string]>('PULSE_PROVIDER_INPUT', '%s', 400)
export const OriginUnconfiguredError = createError<[string]>('PULSE_ORIGIN_UNCONFIGURED', 'Passthrough origin "%s" is not configured', 404)
export const PassthroughPathError = createError<[string]>('PULSE_PASSTHROUGH_PATH', 'Refused passthrough path: %s', 400)

// One constructor per upstream failure code, so every answer has a stable @fastify/error code.
const UPSTREAM_CODES = {
  PULSE_PROVIDER_AUTH: createError<[string]>('PULSE_PROVIDER_AUTH', '%s', 502),
  PULSE_PROVIDER_RATE_LIMITED: createError<[string]>('PULSE_PROVIDER_RATE_LIMITED', '%s', 429),
  PULSE_PROVIDER_TIMEOUT: createError<[string]>('PULSE_PROVIDER_TIMEOUT', '%s', 504),
  PULSE_PROVIDER_UNAVAILABLE: createError<[string]>('PULSE_PROVIDER_UNAVAILABLE', '%s', 503),
  PULSE_PROVIDER_ERROR: createError<[string]>('PULSE_PROVIDER_ERROR', '%s', 502),
  PULSE_PROVIDER_REJECTED: createError<[string]>('PULSE_PROVIDER_REJECTED', '%s', 400),
  PULSE_PROVIDER_NETWORK: createError<[string]>('PULSE_PROVIDER_NETWORK', '%s', 502),
  PULSE_PROVIDER_STREAM_TRUNCATED: createError<[string]>('PULSE_PROVIDER_STREAM_TRUNCATED', '%s', 502),
  PULSE_PROVIDER_STREAM_MALFORMED: createError<[string]>('PULSE_PROVIDER_STREAM_MALFORMED', '%s', 502),
  PULSE_PROVIDER_STREAM_ERROR: createError<[string]>('PULSE_PROVIDER_STREAM_ERROR', '%s', 502),
  PULSE_UPSTREAM_ERROR: createError<[string]>('PULSE_UPSTREAM_ERROR', '%s', 502)
} as const

type UpstreamCode = keyof typeof UPSTREAM_CODES

/** A pulse error for the envelope from a mapped upstream failure; keeps the provider's status for 4xx. */
export interface FailureFacts extends Pick<UpstreamFailure, 'code' | 'status' | 'message' | 'retryable' | 'retryAfterMs'> {
  cause: string
}

export function upstreamError (failure: FailureFacts) {
  const Ctor = UPSTREAM_CODES[failure.code as UpstreamCode] ?? UPSTREAM_CODES.PULSE_PROVIDER_ERROR
  const err = new Ctor(failure.message)
  err.statusCode = failure.status
  const headers: Record<string, string> = {}
  if (failure.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(failure.retryAfterMs / 1000)))
  return describe(err, { cause: failure.cause, retryable: failure.retryable, headers })
}

/** A stream fault that happened before anything reached the client answers as an envelope. */
export function faultError (fault: StreamFault, status = 502) {
  return upstreamError({ code: fault.code, status, message: fault.message, retryable: fault.retryable, cause: fault.cause })
}
