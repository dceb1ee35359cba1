import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { describe, isPulseError, ValidationError } from '../../lib/errors.js'
import type { Pricing } from '../../lib/pricing.js'
import type { RecordedTrace } from '../traces/schemas.js'
import type { RecordResult } from '../traces/service.js'
import {
  faultError, ProviderInputRejectedError, ProviderKeyMissingError, ProviderNotConfiguredError,
  ProviderUnsupportedError, upstreamError
} from './errors.js'
import { OverheadHistogram, ProxyCounters, type OverheadSnapshot } from './metrics.js'
import { withoutKey, type UpstreamFailure } from './providers/errors.js'
import { arr, obj, parseJson, str, type JsonObject } from './providers/json.js'
import { providerSecretName, type ProviderRegistry } from './providers/registry.js'
import {
  ProviderInputError,
  type HeaderBag, type ModelInfo, type Operation, type ProviderAdapter, type ProviderResult, type UpstreamRequest,
  type Usage, type WireFormat
} from './providers/types.js'
import { networkFault, stalledFault, type StreamFault } from './stream/faults.js'
import type { StreamSummary } from './stream/pipeline.js'
import {
  classifyTransportError, errorCode, errorDetail, headerValue, readBody,
  type CallSignal, type SendUpstream, type UpstreamResponse
} from './upstream.js'
import { UpstreamBody } from './upstream-body.js'
import { SseAnswer } from './sse-answer.js'
import type { UnpricedModel, UnpricedRepository } from './store/store.js'

export interface ServiceLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface ProxyServiceDeps {
  registry: ProviderRegistry
  pricing: Pricing
  callUpstream: SendUpstream
  /** The project's provider key from the vault (`provider.<name>`), or null. */
  vaultKey: (projectId: string, provider: string) => Promise<string | null>
  /** Hands a finished call's trace to pulse-traces; must not block. */
  recordTrace: (trace: RecordedTrace) => RecordResult
  unpriced: UnpricedRepository
  log: ServiceLogger
  providerKeyCacheMs: number
  idleMs: number
  /** Monotonic clock in ms (durations). */
  clock?: () => number
  /** Wall clock (trace timestamps, `created` fields). */
  now?: () => number
}

/** One client call of a provider-compatible route. */
export interface CallInput {
  operation: Exclude<Operation, 'models'>
  clientFormat: WireFormat
  body: JsonObject
  projectId: string
  requestId: string
  clientHeaders: HeaderBag
  /** The key the caller's BYOK session holds for a provider, or null. */
  sessionKey: SessionKey
  /** Aborted when the client goes away. */
  signal: CallSignal
  /** `clock()` when the request arrived (before auth and body parsing). */
  startedAt: number
  /** Trace fields the caller adds (e.g. `x-pulse-session-id`). */
  sessionId?: string
}

/** The key the caller's BYOK session holds for a provider, or null; null at once when the caller has no session. */
export type SessionKey = (provider: string) => Promise<string | null> | null

/** A success the route sends as it is: the provider's own body, or an SSE stream. */
export type CallOutcome =
  | { kind: 'json', status: number, headers: Record<string, string>, body: string, overheadMs: number }
  | { kind: 'stream', status: number, headers: Record<string, string>, body: SseAnswer, overheadMs: number }

export interface ProxyService {
  call(input: CallInput): Promise<CallOutcome>
  models(input: ModelsInput): Promise<ModelList>
  unpriced(projectId: string, limit: number): Promise<UnpricedModel[]>
  metrics(): ProxyMetrics
  /** Record an overhead figure measured outside `call` (passthrough). */
  observeOverhead(ms: number): void
  /** Resolves when every call in flight has handed its trace over. */
  settled(): Promise<void>
}

export interface ModelsInput {
  projectId: string
  requestId: string
  sessionKey: SessionKey
  signal: CallSignal
  /** Only this provider, its ids unprefixed; else every provider with a key, ids prefixed `<provider>/`. */
  provider?: string
}

export interface ModelList {
  object: 'list'
  data: Array<{ id: string, object: 'model', created: number, owned_by: string }>
}

export interface ProxyMetrics {
  requests: number
  streams: number
  openStreams: number
  byProvider: Record<string, number>
  byStatus: Record<string, number>
  failureCauses: Record<string, number>
  overhead: OverheadSnapshot
}

type TraceStatus = 'success' | 'error' | 'cancelled'

interface Outcome {
  status: TraceStatus
  usage?: Usage
  modelUsed?: string
  providerRequestId?: string
  completionId?: string
  finishReason?: string
  responseBody?: JsonObject
  outputText?: string
  error?: { code: string, message: string, cause?: string, status?: number, upstream_status?: number }
  ttftMs?: number
}

const CLIENT_ABORT: StreamFault = { cause: 'client_abort', code: 'PULSE_CLIENT_ABORT', message: 'the client disconnected', retryable: false }

function embeddingsSummary (body: JsonObject): JsonObject {
  // Vectors are large and say nothing about the call: keep their count and the usage.
  const data = arr(body.data)
  return { object: body.object, model: body.model, usage: body.usage, data: `[${data?.length ?? 0} embeddings omitted]` }
}

export function createProxyService (deps: ProxyServiceDeps): ProxyService {
  const { registry, pricing, callUpstream, log } = deps
  const clock = deps.clock ?? (() => performance.now())
  const now = deps.now ?? Date.now
  const overhead = new OverheadHistogram()
  const counters = new ProxyCounters()
  let inFlight = 0
  let idleWaiters: Array<() => void> = []

  // ---- provider keys: the caller's BYOK session first, then the project's vault secret, cached briefly
  // A settled entry carries its key, so a cache hit is answered without a promise.
  interface KeyLookup { value: Promise<string | null>, key: string | null | undefined, expires: number }
  const keyCache = new Map<string, KeyLookup>()
  const KEY_CACHE_MAX = 10_000

  function vaultKey (projectId: string, provider: string): KeyLookup {
    const t = clock()
    if (deps.providerKeyCacheMs === 0) return { value: deps.vaultKey(projectId, provider), key: undefined, expires: t }
    const id = `${projectId}\u0000${provider}`
    const hit = keyCache.get(id)
    if (hit !== undefined && hit.expires > t) return hit
    if (keyCache.size >= KEY_CACHE_MAX) {
      const oldest = keyCache.keys().next().value
      if (oldest !== undefined) keyCache.delete(oldest)
    }
    // Concurrent calls share one store read + decrypt.
    const entry: KeyLookup = { value: deps.vaultKey(projectId, provider), key: undefined, expires: t + deps.providerKeyCacheMs }
    keyCache.delete(id)
    keyCache.set(id, entry)
    entry.value.then((key) => { entry.key = key }, () => keyCache.delete(id))
    return entry
  }

  function required (provider: ProviderAdapter, key: string | null): string {
    if (key === null) throw new ProviderKeyMissingError(provider.name, providerSecretName(provider.name))
    return key
  }

  function fromVault (provider: ProviderAdapter, projectId: string): string | Promise<string> {
    const found = vaultKey(projectId, provider.name)
    if (found.key !== undefined) return required(provider, found.key)
    return found.value.then((key) => required(provider, key))
  }

  /** The provider key for a call: a value when nothing needs waiting for (most calls), else a promise. */
  function keyFor (provider: ProviderAdapter, input: { projectId: string, sessionKey: SessionKey }): string | undefined | Promise<string> {
    if (!provider.requiresKey) return undefined
    const session = input.sessionKey(provider.name)
    if (session === null) return fromVault(provider, input.projectId)
    return session.then((key) => key ?? fromVault(provider, input.projectId))
  }

  // ---- cost: provider-reported, else the pricing table, else none (and remembered as unpriced)
  function setCost (trace: RecordedTrace, provider: ProviderAdapter, usage: Usage | undefined, modelUsed: string | undefined, routedModel: string) {
    if (usage === undefined) return
    if (usage.providerCostCents !== undefined) {
      trace.cost_cents = usage.providerCostCents
      trace.cost_source = 'provider'
      return
    }
    // The mock provider is free, and says so; its models are not "unpriced".
    if (provider.kind === 'mock') {
      trace.cost_cents = 0
      trace.cost_source = 'provider'
      return
    }
    const tokens = { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cacheReadTokens: usage.cacheReadTokens, cacheWriteTokens: usage.cacheWriteTokens }
    for (const model of [modelUsed, routedModel]) {
      if (model === undefined || model === '') continue
      const cost = pricing.cost(model, tokens)
      if (cost !== null) {
        trace.cost_cents = cost
        trace.cost_source = 'pricing_table'
        return
      }
    }
    const model = modelUsed !== undefined && modelUsed !== '' ? modelUsed : routedModel
    if (model !== '') {
      deps.unpriced.record({ projectId: trace.project_id, provider: provider.name, model, at: new Date(now()) })
        .catch((err: unknown) => log.warn({ err, model }, 'pulse-proxy: could not record an unpriced model'))
    }
    trace.cost_source = 'none'
    trace.unpriced = true
  }

  function finishCall () {
    inFlight--
    if (inFlight === 0) {
      const waiters = idleWaiters
      idleWaiters = []
      for (const w of waiters) w()
    }
  }

  /**
   * Everything one call needs to write its single trace. `done()` is idempotent: the first
   * outcome wins (a stream that faulted and then saw the client leave is one error trace).
   */
  function tracer (input: CallInput, provider: ProviderAdapter, routedModel: string, wallStart: number) {
    let done = false
    return (o: Outcome) => {
      if (done) return
      done = true
      const latency = Math.max(0, clock() - input.startedAt)
      counters.outcome(o.status, o.error?.cause)
      const metadata: JsonObject = {
        correlation_id: input.requestId,
        operation: input.operation,
        client_format: input.clientFormat,
        stream: input.body.stream === true,
        upstream_model: routedModel
      }
      if (o.completionId !== undefined) metadata.completion_id = o.completionId
      const trace: RecordedTrace = {
        project_id: input.projectId,
        trace_id: randomUUID(),
        timestamp: new Date(wallStart),
        provider: provider.name,
        model_requested: str(input.body.model) ?? routedModel,
        request_body: input.body,
        status: o.status,
        latency_ms: Math.round(latency * 1000) / 1000,
        metadata
      }
      if (o.modelUsed !== undefined) trace.model_used = o.modelUsed
      if (o.providerRequestId !== undefined) trace.provider_request_id = o.providerRequestId
      if (o.finishReason !== undefined) trace.finish_reason = o.finishReason
      if (o.responseBody !== undefined) trace.response_body = o.responseBody
      if (o.outputText !== undefined && o.outputText !== '') trace.output_text = o.outputText
      if (o.error !== undefined) trace.error = o.error
      if (o.ttftMs !== undefined) trace.ttft_ms = Math.round(o.ttftMs * 1000) / 1000
      if (input.sessionId !== undefined) trace.session_id = input.sessionId
      if (o.usage !== undefined) {
        trace.input_tokens = o.usage.inputTokens
        trace.output_tokens = o.usage.outputTokens
        trace.cache_read_tokens = o.usage.cacheReadTokens
        trace.cache_write_tokens = o.usage.cacheWriteTokens
        trace.usage_source = 'provider'
      }
      setCost(trace, provider, o.usage, o.modelUsed, routedModel)
      handOverLater(trace)
    }
  }

  // Traces are handed to pulse-traces after the response is on its way, the calls that finished
  // in one turn of the event loop together (one immediate for all of them, not one each).
  let waiting: RecordedTrace[] = []
  let handOver: NodeJS.Immediate | undefined

  function handOverLater (trace: RecordedTrace) {
    waiting.push(trace)
    handOver ??= setImmediate(handOverNow)
  }

  function handOverNow () {
    handOver = undefined
    const traces = waiting
    waiting = []
    for (const trace of traces) {
      try {
        const result = deps.recordTrace(trace)
        if (!result.accepted) log.warn({ reason: result.reason, message: result.message, traceId: trace.trace_id }, 'pulse-proxy: a trace was refused')
      } catch (err) {
        log.error({ err }, 'pulse-proxy: recording a trace failed')
      } finally {
        finishCall()
      }
    }
  }

  function failureOf (f: UpstreamFailure): Outcome['error'] {
    return { code: f.code, message: f.message, cause: f.cause, status: f.status, upstream_status: f.upstreamStatus }
  }

  function faultOf (f: StreamFault): Outcome['error'] {
    return { code: f.code, message: f.message, cause: f.cause }
  }

  /** A transport error before the response started: an envelope for the client, and its trace. */
  function transportFailure (provider: ProviderAdapter, err: unknown, signal: CallSignal) {
    const kind = classifyTransportError(err, signal)
    if (kind === 'aborted') return { status: 'cancelled' as const, fault: CLIENT_ABORT, error: faultError(CLIENT_ABORT, 499) }
    if (kind === 'network') {
      log.warn({ provider: provider.name, err: errorDetail(err) }, 'pulse-proxy: upstream transport error')
      const fault = networkFault(provider.name, errorCode(err))
      return { status: 'error' as const, fault, error: faultError({ ...fault, message: `${provider.name}: the upstream could not be reached (${errorCode(err)})` }, 502) }
    }
    const what = kind === 'connect_timeout' ? 'connecting' : kind === 'headers_timeout' ? 'waiting for the response headers' : 'waiting for the response body'
    const fault: StreamFault = { cause: 'provider_timeout', code: 'PULSE_PROVIDER_TIMEOUT', message: `${provider.name}: timed out ${what}`, retryable: true }
    return { status: 'error' as const, fault, error: faultError(fault, 504) }
  }

  function providerRequestId (headers: UpstreamResponse['headers']): string | undefined {
    return headerValue(headers, 'x-request-id') ?? headerValue(headers, 'request-id')
  }

  async function call (input: CallInput): Promise<CallOutcome> {
    const model = str(input.body.model)
    if (model === undefined) throw new ValidationError('Invalid body: model must be a string')
    const route = registry.route(model, input.clientFormat, input.operation)
    if (!route.ok) {
      if (route.reason === 'unsupported_operation') throw new ProviderUnsupportedError(route.message)
      if (route.reason === 'missing_model') throw new ValidationError(route.message)
      throw new ProviderNotConfiguredError(route.message)
    }
    const provider = route.provider
    counters.call(provider.name)
    inFlight++
    const wallStart = now() - (clock() - input.startedAt)
    const trace = tracer(input, provider, route.model, wallStart)
    let upstreamMs = 0

    try {
      const pending = keyFor(provider, input)
      const key = typeof pending === 'object' ? await pending : pending
      const inject = registry.includeUsage.shouldInject(provider.includeUsage, provider.baseUrl)
      const build = (injectIncludeUsage: boolean): UpstreamRequest => {
        try {
          return provider.transformRequest(input.operation, input.clientFormat, input.body, {
            model: route.model, key, requestId: input.requestId, clientHeaders: input.clientHeaders, injectIncludeUsage, now: now()
          })
        } catch (err) {
          if (err instanceof ProviderInputError) {
            throw describe(new ProviderInputRejectedError(err.message), { details: [{ in: 'body', field: err.field, message: err.message }], retryable: false })
          }
          throw err
        }
      }
      // Not async: the upstream's own promise, timed when it settles (one promise frame fewer per call).
      const send = (req: UpstreamRequest): Promise<UpstreamResponse> => {
        const t0 = clock()
        return callUpstream(provider, req, input.signal).then((res) => {
          upstreamMs += clock() - t0
          return res
        }, (err: unknown) => {
          upstreamMs += clock() - t0
          throw err
        })
      }

      let req = build(inject)
      let res: UpstreamResponse
      try {
        res = await send(req)
        if (res.statusCode >= 400) {
          const t0 = clock()
          const text = await readBody(res.body)
          upstreamMs += clock() - t0
          if (registry.includeUsage.shouldRetryWithout(res.statusCode, req.injectedIncludeUsage, provider.includeUsage)) {
            // Some OpenAI-compatible servers reject stream_options: once without it, remembered if that works.
            req = build(false)
            res = await send(req)
            if (res.statusCode < 400) {
              registry.includeUsage.rememberRejected(provider.baseUrl)
              log.info({ provider: provider.name }, 'pulse-proxy: the upstream rejects stream_options.include_usage; no longer sent to it')
            }
          } else {
            const failure = withoutKey(provider.mapError(res.statusCode, res.headers, text, now()), key)
            trace({ status: 'error', error: failureOf(failure), providerRequestId: providerRequestId(res.headers) })
            throw upstreamError(failure)
          }
          if (res.statusCode >= 400) {
            const t1 = clock()
            const failure = withoutKey(provider.mapError(res.statusCode, res.headers, await readBody(res.body), now()), key)
            upstreamMs += clock() - t1
            trace({ status: 'error', error: failureOf(failure), providerRequestId: providerRequestId(res.headers) })
            throw upstreamError(failure)
          }
        }
      } catch (err) {
        if (isPulseError(err)) throw err
        const failed = transportFailure(provider, err, input.signal)
        trace({ status: failed.status, error: faultOf(failed.fault) })
        throw failed.error
      }

      const requestIdUp = providerRequestId(res.headers)
      if (!req.stream) return await whole(input, provider, req, res, { trace, upstreamMs, requestIdUp, routedModel: route.model })
      return stream(input, provider, req, res, { trace, upstreamMs, requestIdUp })
    } catch (err) {
      // Anything thrown before a trace was written (missing key, bad input, a bug) is still one trace.
      const e = err as { code?: string, message?: string, statusCode?: number, pulse?: { cause?: string } }
      trace({ status: input.signal.aborted ? 'cancelled' : 'error', error: { code: e.code ?? 'PULSE_INTERNAL', message: e.message ?? 'error', ...(e.pulse?.cause !== undefined ? { cause: e.pulse.cause } : {}), ...(e.statusCode !== undefined ? { status: e.statusCode } : {}) } })
      throw err
    }
  }

  interface Ctx { trace: (o: Outcome) => void, upstreamMs: number, requestIdUp: string | undefined, routedModel?: string }

  /**
   * The answer's headers: none of the upstream's are forwarded, everything the client reads comes
   * from us. Object literals, not spreads: this runs on every call.
   */
  function answerHeaders (stream: boolean, requestIdUp: string | undefined): Record<string, string> {
    const headers: Record<string, string> = stream
      // Reverse proxies (nginx) must not buffer the stream.
      ? { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' }
      : { 'content-type': 'application/json; charset=utf-8' }
    if (requestIdUp !== undefined) headers['x-pulse-provider-request-id'] = requestIdUp
    return headers
  }

  async function whole (input: CallInput, provider: ProviderAdapter, req: UpstreamRequest, res: UpstreamResponse, ctx: Ctx): Promise<CallOutcome> {
    let text: string
    const t0 = clock()
    try {
      text = await readBody(res.body)
    } catch (err) {
      const failed = transportFailure(provider, err, input.signal)
      ctx.trace({ status: failed.status, error: faultOf(failed.fault), providerRequestId: ctx.requestIdUp })
      throw failed.error
    } finally {
      ctx.upstreamMs += clock() - t0
    }
    const parsed = parseJson(text)
    if (obj(parsed) === undefined) {
      const fault: StreamFault = { cause: 'provider_stream_malformed', code: 'PULSE_PROVIDER_STREAM_MALFORMED', message: `${provider.name}: the response is not a JSON object`, retryable: true }
      ctx.trace({ status: 'error', error: faultOf(fault), providerRequestId: ctx.requestIdUp })
      throw faultError(fault)
    }
    const result: ProviderResult = provider.transformResponse(input.operation, input.clientFormat, parsed, {
      model: ctx.routedModel ?? '', injectIncludeUsage: req.injectedIncludeUsage, now: now()
    })
    // The provider's own bytes when no translation happened, so SDKs see exactly what it sent.
    const native = provider.wireFormat(input.operation) === input.clientFormat
    const body = native ? text : JSON.stringify(result.body)
    const outcome: Outcome = {
      status: 'success',
      responseBody: input.operation === 'embeddings' ? embeddingsSummary(result.body) : result.body
    }
    if (result.usage !== undefined) outcome.usage = result.usage
    if (result.model !== undefined) outcome.modelUsed = result.model
    if (result.finishReason !== undefined) outcome.finishReason = result.finishReason
    if (result.id !== undefined) outcome.completionId = result.id
    outcome.providerRequestId = ctx.requestIdUp ?? result.id
    const overheadMs = Math.max(0, clock() - input.startedAt - ctx.upstreamMs)
    overhead.observe(overheadMs)
    ctx.trace(outcome)
    return { kind: 'json', status: 200, headers: answerHeaders(false, ctx.requestIdUp), body, overheadMs }
  }

  function stream (input: CallInput, provider: ProviderAdapter, req: UpstreamRequest, res: UpstreamResponse, ctx: Ctx): CallOutcome {
    const pipeline = provider.createStream(input.clientFormat, req, { requestId: input.requestId, now: now() })
    const headerOverhead = Math.max(0, clock() - input.startedAt - ctx.upstreamMs)
    let ownMs = headerOverhead
    let ttftMs: number | undefined
    counters.streams++
    counters.openStreams++
    let closed = false

    const finish = (summary: StreamSummary) => {
      if (closed) return
      closed = true
      counters.openStreams--
      overhead.observe(ownMs)
      const outcome: Outcome = {
        status: summary.complete ? 'success' : summary.fault?.cause === 'client_abort' ? 'cancelled' : 'error',
        outputText: summary.outputText
      }
      if (summary.usage !== undefined) outcome.usage = summary.usage
      if (summary.model !== undefined) outcome.modelUsed = summary.model
      if (summary.finishReason !== undefined) outcome.finishReason = summary.finishReason
      if (summary.id !== undefined) outcome.completionId = summary.id
      const rid = ctx.requestIdUp ?? summary.id
      if (rid !== undefined) outcome.providerRequestId = rid
      if (summary.fault !== undefined && !summary.complete) outcome.error = faultOf(summary.fault)
      if (ttftMs !== undefined) outcome.ttftMs = ttftMs
      ctx.trace(outcome)
    }

    const upstream = res.body
    let upstreamDone = false
    const destroyUpstream = () => {
      if (upstreamDone) return
      upstreamDone = true
      try { upstream.destroy?.() } catch {}
    }

    // An event-driven pump: each upstream chunk goes through the pipeline and is pushed to the
    // client stream at once; when that stream's buffer is full the upstream is paused until the
    // client reads (back-pressure), so a slow client slows the upstream read, not our memory.
    const direct = upstream instanceof UpstreamBody ? upstream : undefined
    let wantMore: (() => void) | undefined
    const resumeUpstream = () => {
      if (direct !== undefined) {
        direct.resume()
      } else if (wantMore !== undefined) {
        const resume = wantMore
        wantMore = undefined
        resume()
      }
    }
    // The client left before the end: the route aborts `input.signal` (undici closes the upstream
    // socket, also when it was stalled), and the call is traced as cancelled.
    const clientGone = () => {
      if (closed) return
      pipeline.fail(CLIENT_ABORT)
      destroyUpstream()
      // A pump waiting for the client to read goes on, and sees `closed`.
      resumeUpstream()
      finish(pipeline.summary())
    }
    const body = new SseAnswer(resumeUpstream, clientGone)

    const write = (out: string | Buffer): boolean => body.write(out)

    /** The client stream ends; `clean` upstreams are left to finish on their own (keep-alive). */
    const end = (clean: boolean) => {
      if (closed) return
      if (!clean) destroyUpstream()
      finish(pipeline.summary())
      body.end()
    }

    /** Returns false when the stream is over (no more upstream chunks wanted). */
    const onChunk = (chunk: Uint8Array): boolean => {
      if (closed) return false
      const t0 = clock()
      const step = pipeline.push(chunk)
      if (step.firstToken === true && ttftMs === undefined) ttftMs = t0 - input.startedAt
      ownMs += clock() - t0
      const more = write(step.out)
      if (step.done) {
        // After a malformed event the rest of the upstream answer is not worth reading; after a
        // clean terminal event the upstream ends by itself and its connection is reused.
        end(step.fault === undefined)
        return false
      }
      return more
    }

    const onEnd = () => {
      if (closed) return
      write(pipeline.end().out)
      upstreamDone = true
      end(true)
    }

    const onError = (err: unknown) => {
      if (closed) return
      if (input.signal.aborted) {
        pipeline.fail(CLIENT_ABORT)
        end(false)
        return
      }
      const kind = classifyTransportError(err)
      if (kind !== 'idle_timeout') log.warn({ provider: provider.name, err: errorDetail(err) }, 'pulse-proxy: upstream stream transport error')
      const fault = kind === 'idle_timeout' ? stalledFault(provider.name, deps.idleMs) : networkFault(provider.name, errorCode(err))
      write(pipeline.fail(fault))
      end(false)
    }

    if (direct !== undefined) {
      // Once the client stream is over, what the upstream still sends is read and dropped: a
      // clean end keeps its keep-alive socket; other ends destroy the body first.
      direct.consume({
        data: (chunk) => closed || onChunk(chunk) || closed,
        end: onEnd,
        // Not the error our own destroy() hands back: that stream is already being ended.
        error: (err) => { if (!upstreamDone) onError(err) }
      })
    } else {
      // Another transport (the in-process mock, a host's): its async iterator, with the same back-pressure.
      const iterable = upstream
      const pump = async () => {
        try {
          for await (const chunk of iterable) {
            if (!onChunk(chunk)) {
              if (closed) return
              await new Promise<void>((resolve) => { wantMore = resolve })
              if (closed) return
            }
          }
          onEnd()
        } catch (err) {
          onError(err)
        }
      }
      pump().catch(onError)
    }

    return { kind: 'stream', status: 200, headers: answerHeaders(true, ctx.requestIdUp), body, overheadMs: headerOverhead }
  }

  async function models (input: ModelsInput): Promise<ModelList> {
    const providers = input.provider === undefined ? registry.list() : [registry.get(input.provider)].filter((p): p is ProviderAdapter => p !== undefined)
    if (input.provider !== undefined && providers.length === 0) throw new ProviderNotConfiguredError(`provider ${input.provider} is not configured`)
    const lists = await Promise.all(providers.filter((p) => p.supports('models', 'openai')).map(async (provider) => {
      try {
        const key = await keyFor(provider, input)
        const req = provider.transformRequest('models', 'openai', {}, { model: '', key, requestId: input.requestId, injectIncludeUsage: false, now: now() })
        const res = await callUpstream(provider, req, input.signal)
        const text = await readBody(res.body)
        if (res.statusCode >= 400) throw upstreamError(withoutKey(provider.mapError(res.statusCode, res.headers, text, now()), key))
        return { provider, models: provider.listModels(parseJson(text)) }
      } catch (err) {
        // One provider without a key or down must not hide the others' models.
        if (input.provider !== undefined) {
          if (isPulseError(err)) throw err
          throw transportFailure(provider, err, input.signal).error
        }
        log.debug({ provider: provider.name, err: errorDetail(err) }, 'pulse-proxy: models of a provider not listed')
        return { provider, models: [] as ModelInfo[] }
      }
    }))
    const data: ModelList['data'] = []
    for (const { provider, models: list } of lists) {
      for (const m of list) {
        data.push({
          id: input.provider === undefined ? `${provider.name}/${m.id}` : m.id,
          object: 'model',
          created: m.created ?? 0,
          owned_by: m.ownedBy ?? provider.name
        })
      }
    }
    return { object: 'list', data }
  }

  return {
    call,
    models,
    unpriced: async (projectId, limit) => await deps.unpriced.list(projectId, limit),
    metrics: () => ({
      requests: counters.requests,
      streams: counters.streams,
      openStreams: counters.openStreams,
      byProvider: { ...counters.byProvider },
      byStatus: { ...counters.byStatus },
      failureCauses: { ...counters.failureCauses },
      overhead: overhead.snapshot()
    }),
    observeOverhead: (ms) => overhead.observe(ms),
    settled: async () => {
      if (inFlight === 0) return
      await new Promise<void>((resolve) => idleWaiters.push(resolve))
    }
  }
}
