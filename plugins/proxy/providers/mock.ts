import { anthropicResult, anthropicStream } from './anthropic.js'
import { arr, num, obj, parseJson, str, type JsonObject } from './json.js'
import { countTokens, mockEmbedding, mockReply } from './mock-replies.js'
import { anthropicMessage, anthropicStreamEvents, openAICompletion, openAIStreamEvents } from './mock-wire.js'
import { openAICompatible } from './openai-compatible.js'
import {
  ProviderInputError,
  type CallContext, type LocalResponse, type LocalTransport, type Operation, type ProviderAdapter, type ProviderResult,
  type UpstreamRequest, type WireFormat
} from './types.js'

export const MOCK_BASE_URL = 'mock://pulse-proxy/v1'
export const MOCK_MODELS = ['mock-1', 'mock-1-mini']

export interface MockProviderOptions {
  /** Clock for `created`; defaults to `Date.now`. */
  now?: () => number
}

const encoder = new TextEncoder()

async function * emit (parts: string[], signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (signal?.aborted === true) return
    yield encoder.encode(part)
  }
}

function json (status: number, body: unknown): LocalResponse {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: emit([JSON.stringify(body)]) }
}

function sse (parts: string[], signal?: AbortSignal): LocalResponse {
  return { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: emit(parts, signal) }
}

function answer (request: UpstreamRequest, now: number, signal?: AbortSignal): LocalResponse {
  const path = request.url.slice(MOCK_BASE_URL.length)
  if (path === '/models') {
    return json(200, { object: 'list', data: MOCK_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'pulse-proxy' })) })
  }
  const body = obj(parseJson(request.body ?? '')) ?? {}
  const model = str(body.model) ?? MOCK_MODELS[0] ?? 'mock-1'
  const created = Math.floor(now / 1000)
  if (path === '/embeddings') {
    const inputs = typeof body.input === 'string' ? [body.input] : (arr(body.input) ?? []).map((v) => String(v))
    const tokens = inputs.reduce((n, s) => n + countTokens(s), 0)
    return json(200, {
      object: 'list',
      model,
      data: inputs.map((s, index) => ({ object: 'embedding', index, embedding: mockEmbedding(s) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens }
    })
  }
  const anthropic = path === '/messages'
  if (!anthropic && path !== '/chat/completions') {
    return json(404, { error: { type: 'not_found_error', message: `mock: no route ${path}` } })
  }
  const reply = mockReply(body, model, num(body.max_completion_tokens) ?? num(body.max_tokens))
  const stream = body.stream === true
  if (anthropic) return stream ? sse(anthropicStreamEvents(reply, model), signal) : json(200, anthropicMessage(reply, model))
  const includeUsage = obj(body.stream_options)?.include_usage === true
  return stream ? sse(openAIStreamEvents(reply, model, created, includeUsage), signal) : json(200, openAICompletion(reply, model, created))
}

/**
 * A provider whose upstream is in-process: it answers OpenAI-format chat/embeddings/models and
 * Anthropic-format messages on the spot, streaming included, with deterministic text and usage.
 * It is `productionSafe: false`: the provider registry refuses it in production.
 */
export function mockProvider (options: MockProviderOptions = {}, name = 'mock'): ProviderAdapter {
  const now = options.now ?? Date.now
  const transport: LocalTransport = {
    handle: async (request, signal) => answer(request, now(), signal)
  }
  const base = openAICompatible({
    name,
    kind: 'mock',
    baseUrl: MOCK_BASE_URL,
    includeUsage: 'always',
    productionSafe: false,
    requiresKey: false,
    defaultModel: MOCK_MODELS[0] ?? 'mock-1',
    transport
  })
  const supports = (operation: Operation, clientFormat: WireFormat): boolean =>
    operation === 'messages' ? clientFormat === 'anthropic' : base.supports(operation, clientFormat)

  return {
    ...base,
    supports,
    wireFormat: (operation) => (operation === 'messages' ? 'anthropic' : 'openai'),
    path: (operation) => (operation === 'messages' ? '/messages' : base.path(operation)),
    transformRequest (operation: Operation, clientFormat: WireFormat, body: JsonObject, ctx: CallContext): UpstreamRequest {
      if (!supports(operation, clientFormat)) {
        throw new ProviderInputError('model', `${name} does not serve ${clientFormat}-format ${operation} requests`)
      }
      if (operation !== 'messages') return base.transformRequest(operation, clientFormat, body, ctx)
      const stream = body.stream === true
      return {
        method: 'POST',
        url: MOCK_BASE_URL + '/messages',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, model: ctx.model }),
        stream,
        injectedIncludeUsage: false,
        clientWantsUsage: false
      }
    },
    transformResponse (operation, clientFormat, body, ctx): ProviderResult {
      return operation === 'messages' ? anthropicResult(body) : base.transformResponse(operation, clientFormat, body, ctx)
    },
    createStream (clientFormat, request, streamOptions) {
      return clientFormat === 'anthropic'
        ? anthropicStream(name, 'anthropic', request, '', streamOptions)
        : base.createStream(clientFormat, request, streamOptions)
    }
  }
}
