import type { JsonObject } from './json.js'
import type { UpstreamFailure } from './errors.js'
import type { StreamPipeline } from '../stream/pipeline.js'

/** What a client asked the proxy to do. `messages` is the Anthropic-native route. */
export type Operation = 'chat' | 'messages' | 'embeddings' | 'models'

/** A wire format: the shape of bodies and stream events. */
export type WireFormat = 'openai' | 'anthropic'

export type ProviderKind = 'openai' | 'anthropic' | 'openrouter' | 'puter' | 'openai-compatible' | 'mock'

/**
 * Whether to add `stream_options.include_usage` to streaming OpenAI-format requests.
 * `auto`: add it, and if the upstream answers 400/422 retry once without it and remember that
 * base URL (see include-usage.ts).
 */
export type IncludeUsageMode = 'always' | 'never' | 'auto'

/**
 * Token counts in one shape for every provider.
 * `inputTokens` counts every prompt token the model read, cached or not (OpenAI `prompt_tokens`
 * semantics); `cacheReadTokens` and `cacheWriteTokens` are the parts of it read from / written to
 * a prompt cache, so uncached input is `inputTokens - cacheReadTokens - cacheWriteTokens`.
 */
export interface Usage {
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  /** Part of `outputTokens` spent on reasoning, when the provider says. */
  reasoningTokens: number
  totalTokens: number
  /** Cost the provider itself reported (OpenRouter `usage.cost`, USD), in cents. */
  providerCostCents?: number
}

/** Headers as a host framework hands them over; providers only read the few they forward. */
export type HeaderBag = Record<string, string | string[] | undefined>

/** Facts one upstream call needs. The key is used to build headers and never kept. */
export interface CallContext {
  /** Upstream model id after routing (prefix stripped). */
  model: string
  /** Provider credential; absent for providers that need none (mock). */
  key?: string
  /** Correlation id, passed upstream as `x-request-id`. */
  requestId?: string
  /** The client's request headers; adapters forward only what their API defines (e.g. `anthropic-beta`). */
  clientHeaders?: HeaderBag
  /** Decided by the proxy from the adapter's mode and its include-usage memory. */
  injectIncludeUsage: boolean
  /** Clock in ms, so transforms that stamp `created` stay pure. */
  now: number
}

/** A request ready to send: method, absolute URL, headers and serialised body. */
export interface UpstreamRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: string
  stream: boolean
  /** True when `stream_options.include_usage` was added by the proxy (not by the client). */
  injectedIncludeUsage: boolean
  /** True when the client itself asked for the usage chunk; otherwise the proxy hides it. */
  clientWantsUsage: boolean
}

/** A non-streaming result, in the client's format, plus the facts the proxy traces. */
export interface ProviderResult {
  body: JsonObject
  usage?: Usage
  finishReason?: string
  /** The model the upstream says answered. */
  model?: string
  /** The upstream's id for this completion (e.g. `chatcmpl-…`, `msg_…`). */
  id?: string
}

export interface ModelInfo {
  id: string
  created?: number
  ownedBy?: string
}

/** An upstream answer from an in-process transport, shaped like undici's `request()` result. */
export interface LocalResponse {
  statusCode: number
  headers: Record<string, string>
  body: AsyncIterable<Uint8Array>
}

/** For providers whose upstream lives in this process (mock): the proxy calls it instead of HTTP. */
export interface LocalTransport {
  handle: (request: UpstreamRequest, signal?: AbortSignal) => Promise<LocalResponse>
}

export interface StreamOptions {
  /** Correlation id carried in error events. */
  requestId?: string
  now: number
}

/**
 * A provider, described as data plus pure functions. No framework objects, no I/O (except the
 * in-process transport of dev-only providers), no stored credentials.
 */
export interface ProviderAdapter {
  /** Routing name: `anthropic/claude-…` selects the adapter named `anthropic`. */
  readonly name: string
  readonly kind: ProviderKind
  /** Base URL including the API version segment, without trailing slash. */
  readonly baseUrl: string
  /** Used when a request names only the provider (`model: "puter"`). */
  readonly defaultModel?: string
  /** False for providers that must never run in production (mock). */
  readonly productionSafe: boolean
  /** False when no credential is needed (mock). */
  readonly requiresKey: boolean
  readonly includeUsage: IncludeUsageMode
  /** Does this adapter serve `operation` for a client speaking `clientFormat`? */
  supports: (operation: Operation, clientFormat: WireFormat) => boolean
  /** The wire format the upstream speaks for an operation. */
  wireFormat: (operation: Operation) => WireFormat
  /** Path (after baseUrl) for an operation, e.g. `/chat/completions`. */
  path: (operation: Operation) => string
  /** Auth and protocol headers; the key is passed in each time. */
  buildHeaders: (ctx: CallContext) => Record<string, string>
  /** Client body → upstream request (routing, translation, include_usage injection). */
  transformRequest: (operation: Operation, clientFormat: WireFormat, body: JsonObject, ctx: CallContext) => UpstreamRequest
  /** Upstream JSON → client body and usage. */
  transformResponse: (operation: Operation, clientFormat: WireFormat, body: unknown, ctx: CallContext) => ProviderResult
  /** A fresh stream state machine for one streamed response. */
  createStream: (clientFormat: WireFormat, request: UpstreamRequest, options: StreamOptions) => StreamPipeline
  /** Usage from an upstream body in the adapter's wire format. */
  extractUsage: (body: unknown) => Usage | undefined
  /** Models the upstream lists. */
  listModels: (body: unknown) => ModelInfo[]
  /** Upstream error status + body → cause, status for the client, retryability. */
  mapError: (status: number, headers: HeaderBag, bodyText: string, now: number) => UpstreamFailure
  /** Present only for in-process upstreams. */
  readonly transport?: LocalTransport
}

/** A client request the adapter cannot express upstream (e.g. `n > 1` to Anthropic). A 400 for the client. */
export class ProviderInputError extends Error {
  readonly field: string
  constructor (field: string, message: string) {
    super(message)
    this.name = 'ProviderInputError'
    this.field = field
  }
}
