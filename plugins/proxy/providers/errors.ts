import { obj, parseJson, str } from './json.js'
import type { HeaderBag } from './types.js'
import { redactString } from '../../../lib/redact.js'

/** Upstream failure classes; they become `error.cause` in the envelope and in SSE error events. */
export type UpstreamCause =
  | 'provider_4xx'
  | 'provider_5xx'
  | 'provider_rate_limited'
  | 'provider_auth'
  | 'provider_timeout'
  | 'provider_stream_truncated'
  | 'provider_stream_malformed'
  | 'provider_stream_error'
  | 'network_error'

/**
 * What the proxy needs to answer and trace a failed upstream call. `status` is what the client
 * gets: a client error the provider saw (400, 404, 413, 422) keeps its status; a provider that
 * rejects the configured key answers 502, because the client's own credentials were fine.
 */
export interface UpstreamFailure {
  cause: UpstreamCause
  status: number
  code: string
  message: string
  retryable: boolean
  /** From `retry-after-ms` / `Retry-After` (seconds or HTTP date). */
  retryAfterMs?: number
  /** The provider's own error type (`invalid_request_error`, `overloaded_error`, …). */
  providerType?: string
  /** The status the upstream answered. */
  upstreamStatus: number
}

const KEYISH = /\b(sk|pk|rk|pulse_sk|sk-ant|sk-or|sess)[-_][A-Za-z0-9_-]{6,}/g
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/-]+=*/gi

/** Upstream messages may quote the key they rejected (`Incorrect API key provided: sk-…`). */
export function redactSecrets (text: string): string {
  return redactString(text.replace(BEARER, 'Bearer [redacted]').replace(KEYISH, '[redacted]'))
}

/**
 * The key used for the call, wherever an upstream quoted it (whole or in part), is masked
 * literally: shapes no pattern knows (Groq's `gsk_…`, Puter tokens, custom providers) included.
 */
export function withoutKey (failure: UpstreamFailure, key: string | undefined): UpstreamFailure {
  if (key === undefined || key.length < 8) return failure
  let message = failure.message
  for (const piece of [key, key.slice(0, 12), key.slice(-8)]) {
    if (piece.length >= 8) message = message.split(piece).join('[redacted]')
  }
  return message === failure.message ? failure : { ...failure, message }
}

function header (headers: HeaderBag, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

/** `retry-after-ms` (OpenAI) wins over `Retry-After`, which is seconds or an HTTP date. */
export function parseRetryAfter (headers: HeaderBag, now: number): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'))
  if (header(headers, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms)
  const raw = header(headers, 'retry-after')
  if (raw === undefined || raw.trim() === '') return undefined
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.ceil(Number(raw) * 1000)
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The provider's message and type from an OpenAI (`{error:{message,type}}`) or Anthropic (`{type:'error',error:{type,message}}`) body. */
export function readProviderError (bodyText: string): { message?: string, type?: string } {
  const body = obj(parseJson(bodyText))
  const error = obj(body?.error)
  if (error !== undefined) return { message: str(error.message), type: str(error.type) ?? str(error.code) }
  const message = str(body?.message) ?? str(body?.detail)
  return message === undefined ? {} : { message }
}

interface CauseRule { cause: UpstreamCause, status: number, code: string, retryable: boolean, fixedMessage?: string }

function classify (status: number): CauseRule {
  if (status === 401 || status === 403) {
    return { cause: 'provider_auth', status: 502, code: 'PULSE_PROVIDER_AUTH', retryable: false, fixedMessage: 'the provider rejected the configured credential' }
  }
  if (status === 429) return { cause: 'provider_rate_limited', status: 429, code: 'PULSE_PROVIDER_RATE_LIMITED', retryable: true }
  if (status === 408) return { cause: 'provider_timeout', status: 504, code: 'PULSE_PROVIDER_TIMEOUT', retryable: true }
  // 529 is Anthropic's "overloaded"; 503 tells the client to come back, like the provider did.
  if (status === 529 || status === 503) return { cause: 'provider_5xx', status: 503, code: 'PULSE_PROVIDER_UNAVAILABLE', retryable: true }
  if (status >= 500) return { cause: 'provider_5xx', status: 502, code: 'PULSE_PROVIDER_ERROR', retryable: true }
  if (status >= 400) return { cause: 'provider_4xx', status, code: 'PULSE_PROVIDER_REJECTED', retryable: false }
  return { cause: 'provider_5xx', status: 502, code: 'PULSE_PROVIDER_ERROR', retryable: false }
}

/** Shared error mapping for every HTTP provider; the provider name goes into the message. */
export function mapUpstreamError (provider: string, status: number, headers: HeaderBag, bodyText: string, now: number): UpstreamFailure {
  const rule = classify(status)
  const upstream = readProviderError(bodyText)
  const detail = rule.fixedMessage ?? (upstream.message === undefined ? `status ${status}` : redactSecrets(upstream.message))
  const failure: UpstreamFailure = {
    cause: rule.cause,
    status: rule.status,
    code: rule.code,
    message: `${provider}: ${detail}`,
    retryable: rule.retryable,
    upstreamStatus: status
  }
  if (upstream.type !== undefined) failure.providerType = upstream.type
  const retryAfterMs = parseRetryAfter(headers, now)
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs
  return failure
}
