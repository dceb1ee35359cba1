import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Envelope } from '../../lib/envelope.js'

/** Most traces one `POST /traces/batch` may carry (seed 001: max 100). */
export const MAX_BATCH = 100

// JSON clients send `null` for "absent" as often as they omit the field; both mean absent here.
const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))

// A string enum, not a union of literals: one `enum` keyword gives one clear validation message.
function StringEnum<const T extends readonly string[]> (values: T, description: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description })
}

export const TRACE_STATUSES = ['success', 'error', 'cancelled'] as const
export const USAGE_SOURCES = ['provider', 'estimated'] as const
export const COST_SOURCES = ['provider', 'pricing_table', 'none'] as const

export const TraceStatus = StringEnum(TRACE_STATUSES, '`cancelled`: the caller aborted or stopped reading a stream')
export type TraceStatus = Static<typeof TraceStatus>
export const UsageSource = StringEnum(USAGE_SOURCES, 'Where the token counts come from')
export type UsageSource = Static<typeof UsageSource>
export const CostSource = StringEnum(COST_SOURCES, 'Where cost_cents comes from; `none`: no cost is known')
export type CostSource = Static<typeof CostSource>

/**
 * Not a closed enum: the proxy adds `puter` and custom OpenAI-compatible targets by name.
 * Bounded so a provider name stays a safe label (logs, metrics, rollup keys).
 */
export const ProviderName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'openai, anthropic, openrouter, puter or a configured OpenAI-compatible target name',
  examples: ['openai']
})

const Tokens = Type.Integer({ minimum: 0 })
const JsonObject = Type.Record(Type.String(), Type.Unknown())

/**
 * One trace, as clients send it (`POST /traces/batch`, the SDK) and as the proxy records it:
 * the Pulse schema of seed 001 (snake_case), plus timing, usage/cost provenance and cache tokens.
 */
export const Trace = Type.Object({
  trace_id: Type.String({ format: 'uuid', description: 'Chosen by the client; ingest is idempotent on (project, trace_id)' }),
  timestamp: Type.String({ format: 'date-time', description: 'When the call started, ISO 8601' }),
  provider: ProviderName,
  model_requested: Type.String({ minLength: 1, maxLength: 256 }),
  model_used: Nullable(Type.String({ minLength: 1, maxLength: 256, description: 'The model the provider reports having used' })),
  provider_request_id: Nullable(Type.String({ maxLength: 256 })),
  request_body: JsonObject,
  response_body: Nullable(JsonObject),
  input_tokens: Nullable(Type.Integer({ minimum: 0, description: 'Every input token, cache reads and writes included' })),
  output_tokens: Nullable(Tokens),
  cache_read_tokens: Nullable(Type.Integer({ minimum: 0, description: 'Input tokens served from the prompt cache (part of input_tokens)' })),
  cache_write_tokens: Nullable(Type.Integer({ minimum: 0, description: 'Input tokens written to the prompt cache (part of input_tokens)' })),
  output_text: Nullable(Type.String()),
  finish_reason: Nullable(Type.String({ maxLength: 64, description: 'Normalised: stop, length, tool_calls, content_filter, …' })),
  status: TraceStatus,
  error: Nullable(JsonObject),
  cost_cents: Nullable(Type.Number({ minimum: 0, description: 'US cents, sub-cent precision kept (0.15 is 0.15)' })),
  cost_source: Nullable(CostSource),
  unpriced: Nullable(Type.Boolean({ description: 'True when tokens were used but no price is known for the model' })),
  usage_source: Nullable(UsageSource),
  session_id: Nullable(Type.String({ minLength: 1, maxLength: 256 })),
  metadata: Nullable(JsonObject),
  latency_ms: Type.Number({ minimum: 0, description: 'Whole call, ms' }),
  ttft_ms: Nullable(Type.Number({ minimum: 0, description: 'Time to first token of a stream, ms' }))
})
export type Trace = Static<typeof Trace>

/** The body of `POST /traces/batch`: 1–100 traces (a bare array, as seed 001 sends it). */
export const TraceBatch = Type.Array(Trace, { minItems: 1, maxItems: MAX_BATCH })
export type TraceBatch = Static<typeof TraceBatch>

/**
 * `app.pulse.traces.record()` takes a trace plus the project it belongs to; in process, its
 * timestamp may be a Date (the proxy's are: no ISO text to write and parse back per call).
 */
export type RecordedTrace = Omit<Trace, 'timestamp'> & { project_id: string, timestamp: string | Date }

/**
 * A trace as the query routes return it: the stored, redacted form. Bodies are absent when
 * `captureBodies` is off; an oversized body is replaced by a truncation marker object.
 */
export const StoredTrace = Type.Object({
  ...Trace.properties,
  request_body: Type.Optional(JsonObject),
  received_at: Type.String({ format: 'date-time', description: 'When pulse-proxy stored it' })
})
export type StoredTrace = Static<typeof StoredTrace>

export const IngestResult = Type.Object({
  count: Type.Integer({ description: 'Traces in the batch, all stored (a repeated trace_id is stored once)' }),
  traces: Type.Array(Type.String(), { description: 'Their trace_ids, in request order' })
})
export const IngestResponse = Envelope(IngestResult)

export const TraceListQuery = Type.Object({
  session_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  provider: Type.Optional(ProviderName),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Matches model_requested or model_used' })),
  status: Type.Optional(TraceStatus),
  date_from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
  date_to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })
}, { additionalProperties: false })
export type TraceListQuery = Static<typeof TraceListQuery>

export const TraceList = Type.Object({
  traces: Type.Array(StoredTrace, { description: 'Newest first' }),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer()
})
export const TraceListResponse = Envelope(TraceList)

export const TraceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) })
export const TraceResponse = Envelope(StoredTrace)

export const Session = Type.Object({
  sessionId: Type.String(),
  traces: Type.Array(StoredTrace, { description: 'Oldest first' })
})
export const SessionResponse = Envelope(Session)
