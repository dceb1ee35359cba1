import type { UpstreamCause } from '../providers/errors.js'
import type { WireFormat } from '../providers/types.js'
import { encodeEvent } from './sse-encode.js'

/** Why a stream did not end cleanly. Reported to the client as a typed SSE error event and traced. */
export interface StreamFault {
  cause: UpstreamCause | 'client_abort'
  code: string
  message: string
  retryable: boolean
  /** The provider's error type when the upstream itself sent an error event. */
  providerType?: string
}

export function truncatedFault (provider: string, detail: string): StreamFault {
  return {
    cause: 'provider_stream_truncated',
    code: 'PULSE_PROVIDER_STREAM_TRUNCATED',
    message: `${provider}: the stream ended before its terminal event (${detail}); the answer is incomplete`,
    retryable: true
  }
}

export function malformedFault (provider: string, detail: string): StreamFault {
  return {
    cause: 'provider_stream_malformed',
    code: 'PULSE_PROVIDER_STREAM_MALFORMED',
    message: `${provider}: the stream sent a malformed event (${detail})`,
    retryable: true
  }
}

/** For the proxy's idle timer: the upstream sent nothing for `idleMs`. */
export function stalledFault (provider: string, idleMs: number): StreamFault {
  return {
    cause: 'provider_timeout',
    code: 'PULSE_PROVIDER_TIMEOUT',
    message: `${provider}: the stream stalled (no data for ${idleMs} ms)`,
    retryable: true
  }
}

/** For a socket error or reset mid-stream. */
export function networkFault (provider: string, detail: string): StreamFault {
  return {
    cause: 'network_error',
    code: 'PULSE_PROVIDER_NETWORK',
    message: `${provider}: the connection failed mid-stream (${detail})`,
    retryable: true
  }
}

/** The upstream sent its own error event mid-stream (OpenAI-style `{error}` data or Anthropic `event: error`). */
export function upstreamErrorFault (provider: string, type: string | undefined, message: string | undefined): StreamFault {
  const cause: UpstreamCause = type === 'rate_limit_error' || type === 'rate_limit_exceeded'
    ? 'provider_rate_limited'
    : 'provider_stream_error'
  const fault: StreamFault = {
    cause,
    code: cause === 'provider_rate_limited' ? 'PULSE_PROVIDER_RATE_LIMITED' : 'PULSE_PROVIDER_STREAM_ERROR',
    message: `${provider}: ${message ?? 'the upstream reported an error mid-stream'}`,
    retryable: type !== 'invalid_request_error'
  }
  if (type !== undefined) fault.providerType = type
  return fault
}

// Anthropic SDKs switch on `error.type`; map our causes onto its documented types.
function anthropicType (fault: StreamFault): string {
  if (fault.cause === 'provider_rate_limited') return 'rate_limit_error'
  if (fault.providerType === 'overloaded_error') return 'overloaded_error'
  if (fault.cause === 'provider_timeout') return 'timeout_error'
  return 'api_error'
}

/**
 * The SSE error event that ends a faulted stream, in the client's format. OpenAI clients (the
 * official SDK included) throw on a `data:` payload carrying `error`; Anthropic clients on
 * `event: error`. Neither format's clean terminal (`[DONE]`, `message_stop`) follows it.
 */
export function errorEvent (format: WireFormat, fault: StreamFault, requestId?: string): string {
  const error: Record<string, unknown> = {
    message: fault.message,
    code: fault.code,
    cause: fault.cause,
    retryable: fault.retryable
  }
  if (requestId !== undefined) error.correlationId = requestId
  if (format === 'anthropic') {
    return encodeEvent(JSON.stringify({ type: 'error', error: { type: anthropicType(fault), ...error } }), 'error')
  }
  return encodeEvent(JSON.stringify({ error: { type: 'server_error', ...error } }))
}
