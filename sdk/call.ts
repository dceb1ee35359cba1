import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { traceFields, type NormalizedResponse } from '../lib/normalize.js'
import type { Pricing } from '../lib/pricing.js'
import { capBody, capString, redact } from '../lib/redact.js'
import type { Trace } from '../plugins/traces/schemas.js'

/** Per-call context attached to traces (`observe(client, { sessionId })`, `pulse.withContext()`). */
export interface TraceContext {
  sessionId?: string
  metadata?: Record<string, unknown>
}

export interface SinkSettings {
  captureBodies: boolean
  maxBodyBytes: number
  pricing: Pricing
}

/** Where finished calls go: a Pulse instance. */
export interface TraceSink {
  readonly settings: SinkSettings
  /** A call started; its trace will come through end() exactly once. */
  begin(): void
  end(trace: Trace): void
}

/** What a call produced, complete or as far as it got. */
export interface CallResult {
  normalized: NormalizedResponse
  responseBody?: Record<string, unknown>
  /** Some token counts are estimates (a stream without a usage chunk, or cut short). */
  usageEstimated?: boolean
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** An error's class name: the SDKs' error classes leave `name` as plain "Error". */
function errorName (err: Json): string | undefined {
  if (typeof err.name === 'string' && err.name !== 'Error') return err.name
  const ctor = (err as { constructor?: { name?: unknown } }).constructor
  if (typeof ctor?.name === 'string' && ctor.name !== 'Object') return ctor.name
  return typeof err.name === 'string' ? err.name : undefined
}

/** The facts of an SDK error worth keeping; never its request (which holds the provider key's headers). */
export function describeError (err: unknown): Json {
  if (!isObject(err) && !(err instanceof Error)) return { message: String(err) }
  const e = err as Json
  const nested = isObject(e.error) ? e.error : undefined
  const out: Json = { message: typeof e.message === 'string' && e.message !== '' ? e.message : String(err) }
  const name = errorName(e)
  if (name !== undefined) out.name = name
  if (typeof e.status === 'number') out.status = e.status
  // OpenAI: error.type; Anthropic: the body `{ type: 'error', error: { type } }` (or the error's own `type`).
  const inner = isObject(nested?.error) ? nested.error : undefined
  const type = [e.type, inner?.type, nested?.type].find((v): v is string => typeof v === 'string' && v !== '' && v !== 'error')
  if (type !== undefined) out.type = type
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code
  return out
}

/** An abort by the caller, as either SDK or undici names it. */
export function isAbort (err: unknown): boolean {
  if (!isObject(err) && !(err instanceof Error)) return false
  const name = errorName(err as Json)
  return name === 'APIUserAbortError' || name === 'AbortError'
}

/**
 * One traced call: started when the client method is called, finished exactly once (success,
 * error or cancelled), then handed to the sink as a trace in the Trace schema.
 */
export class CallTrace {
  private readonly startedAt = new Date()
  private readonly t0 = performance.now()
  private ttft: number | undefined
  private finished = false

  constructor (
    private readonly sink: TraceSink,
    private readonly provider: string,
    private readonly params: Json,
    private readonly context: TraceContext
  ) {
    sink.begin()
  }

  get isFinished (): boolean { return this.finished }

  markFirstToken (): void {
    if (this.ttft === undefined) this.ttft = performance.now() - this.t0
  }

  succeed (result: CallResult): void {
    this.finish('success', result)
  }

  fail (err: unknown, partial?: CallResult): void {
    if (isAbort(err)) return this.cancel('request aborted by the caller', partial)
    this.finish('error', partial, describeError(err))
  }

  cancel (message: string, partial?: CallResult): void {
    this.finish('cancelled', partial, { type: 'cancelled', message })
  }

  private finish (status: Trace['status'], result: CallResult | undefined, error?: Json): void {
    if (this.finished) return
    this.finished = true
    let trace: Trace
    try {
      trace = this.build(status, result, error)
    } catch (err) {
      // Tracing never breaks the app: a result we cannot read becomes a bare trace.
      trace = this.build(status, undefined, error ?? describeError(err))
    }
    this.sink.end(trace)
  }

  private build (status: Trace['status'], result: CallResult | undefined, error: Json | undefined): Trace {
    const { captureBodies, maxBodyBytes, pricing } = this.sink.settings
    const model = typeof this.params.model === 'string' && this.params.model !== '' ? this.params.model : 'unknown'
    const fields = result !== undefined ? traceFields(result.normalized) : {}
    const trace: Trace = {
      trace_id: randomUUID(),
      timestamp: this.startedAt.toISOString(),
      provider: this.provider,
      model_requested: model,
      request_body: captureBodies ? capBody(redact(this.params), maxBodyBytes) : { model },
      status,
      latency_ms: performance.now() - this.t0,
      ...fields
    }
    if (this.ttft !== undefined) trace.ttft_ms = this.ttft
    if (result?.usageEstimated === true && trace.input_tokens != null) trace.usage_source = 'estimated'
    if (captureBodies) {
      if (result?.responseBody !== undefined) trace.response_body = capBody(redact(result.responseBody), maxBodyBytes)
      if (typeof trace.output_text === 'string') trace.output_text = capString(trace.output_text, maxBodyBytes)
    } else {
      delete trace.output_text
    }
    if (error !== undefined) trace.error = error
    if (trace.cost_cents == null && (trace.input_tokens != null || trace.output_tokens != null)) {
      const usage = {
        inputTokens: trace.input_tokens,
        outputTokens: trace.output_tokens,
        cacheReadTokens: trace.cache_read_tokens,
        cacheWriteTokens: trace.cache_write_tokens
      }
      const cost = (trace.model_used != null ? pricing.cost(trace.model_used, usage) : null) ?? pricing.cost(model, usage)
      if (cost !== null) {
        trace.cost_cents = cost
        trace.cost_source = 'pricing_table'
      } else {
        trace.cost_source = 'none'
        trace.unpriced = true
      }
    }
    if (this.context.sessionId !== undefined) trace.session_id = this.context.sessionId
    if (this.context.metadata !== undefined) trace.metadata = capBody(redact(this.context.metadata), maxBodyBytes)
    return trace
  }
}
