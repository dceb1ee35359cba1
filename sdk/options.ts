import { Type, type Static } from '@sinclair/typebox'
import { OptionError } from '../lib/errors.js'
import { resolveOptions } from '../lib/options.js'
import { ModelPriceOption } from '../plugins/traces/options.js'

/** The signals `handleSignals: true` listens to. */
export const DEFAULT_SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * `initPulse()` options: the data part, validated with TypeBox (a bad option throws
 * `PULSE_BAD_OPTION` naming it). Callbacks (`onError`) are checked apart.
 */
export const PulseSdkOptions = Type.Object({
  apiKey: Type.Optional(Type.String({ minLength: 1, description: 'A project API key (`pulse_sk_…`); required unless enabled is false' })),
  apiUrl: Type.String({ minLength: 1, default: 'http://127.0.0.1:3000', description: 'Base URL of the pulse-proxy server' }),
  ingestPath: Type.String({ pattern: '^/', default: '/v1/traces/batch', description: 'Path of the batch ingest route under apiUrl (change it when the plugins use another prefix)' }),
  batchSize: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Traces per POST; a full batch is sent at once' }),
  flushInterval: Type.Integer({ minimum: 10, default: 5000, description: 'ms between sends of a partial batch' }),
  maxQueue: Type.Integer({ minimum: 1, default: 10_000, description: 'Traces waiting or being sent at most; beyond it new traces are dropped and counted' }),
  enabled: Type.Boolean({ default: true, description: 'false: observe() returns clients untouched and nothing is sent' }),
  maxRetries: Type.Integer({ minimum: 0, maximum: 10, default: 3, description: 'Retries of a batch after a network error, timeout, 408, 429 or 5xx' }),
  retryDelay: Type.Integer({ minimum: 1, default: 250, description: 'Base of the exponential backoff (full jitter), ms' }),
  maxRetryDelay: Type.Integer({ minimum: 1, default: 5000, description: 'Cap of one backoff wait (also caps Retry-After), ms' }),
  timeout: Type.Integer({ minimum: 1, default: 10_000, description: 'Per request to the server (headers and body), ms' }),
  maxConcurrentRequests: Type.Integer({ minimum: 1, maximum: 16, default: 2, description: 'Batches in flight at once' }),
  captureBodies: Type.Boolean({ default: true, description: 'Send request/response bodies and output_text; false sends only the model and metadata' }),
  maxBodyBytes: Type.Integer({ minimum: 1024, default: 65_536, description: 'Cap per body (JSON bytes) and per output_text before sending; larger ones become a truncation marker' }),
  pricing: Type.Record(Type.String({ minLength: 1 }), ModelPriceOption, { default: {}, description: 'Extra or overriding prices (cents per 1M tokens) by model id' }),
  flushOnExit: Type.Boolean({ default: true, description: 'Send what is queued when the event loop empties (process `beforeExit`)' }),
  handleSignals: Type.Union([
    Type.Boolean(),
    Type.Array(Type.String({ pattern: '^SIG[A-Z0-9]+$' }), { minItems: 1 })
  ], { default: false, description: 'true (SIGINT, SIGTERM) or a list: on the signal, shut down (flush), then send the signal again. Leave off when the app handles signals itself' })
}, { additionalProperties: false })

export type PulseSdkData = Static<typeof PulseSdkOptions>

/** Why a batch could not be delivered (passed to `onError`). */
export interface DeliveryProblem {
  /** `http_<status>` or `network` (connection refused, reset, timeout…). */
  kind: string
  /** Traces given up on. */
  traces: number
  status?: number
  message: string
}

export interface PulseOptions extends Partial<Omit<PulseSdkData, 'apiKey'>> {
  apiKey?: string
  /** Told about every batch given up on (never thrown). Default: one console.warn per kind of problem. */
  onError?: (problem: DeliveryProblem) => void
}

export interface ResolvedPulseOptions extends PulseSdkData {
  onError?: (problem: DeliveryProblem) => void
  /** The ingest route as a URL. */
  ingestUrl: URL
}

export function resolvePulseOptions (raw: PulseOptions | undefined): ResolvedPulseOptions {
  const { onError, ...data } = raw ?? {}
  if (onError !== undefined && typeof onError !== 'function') throw new OptionError('option "initPulse.onError" must be a function')
  const opts = resolveOptions(PulseSdkOptions, data, 'initPulse')
  if (opts.enabled && opts.apiKey === undefined) throw new OptionError('option "initPulse.apiKey" is required (or pass enabled: false)')
  let base: URL
  try {
    base = new URL(opts.apiUrl)
  } catch {
    throw new OptionError('option "initPulse.apiUrl" must be an absolute http(s) URL')
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new OptionError('option "initPulse.apiUrl" must be an absolute http(s) URL')
  // `apiUrl` may carry a mount path (`https://host/pulse`): keep it and append the ingest path.
  const ingestUrl = new URL(base.pathname.replace(/\/+$/, '') + opts.ingestPath, base)
  return { ...opts, ingestUrl, ...(onError !== undefined ? { onError } : {}) }
}
