import { OpenAIStreamMachine } from '../stream/openai-machine.js'
import { SsePipeline } from '../stream/pipeline.js'
import { mapUpstreamError } from './errors.js'
import { arr, num, obj, str, type JsonObject } from './json.js'
import {
  ProviderInputError,
  type CallContext, type HeaderBag, type IncludeUsageMode, type LocalTransport, type ModelInfo, type Operation,
  type ProviderAdapter, type ProviderKind, type ProviderResult, type UpstreamRequest, type WireFormat
} from './types.js'
import { fromOpenAIUsage } from './usage.js'

export interface OpenAICompatibleSpec {
  name: string
  kind: ProviderKind
  baseUrl: string
  defaultModel?: string
  includeUsage: IncludeUsageMode
  /** `usage.cost` is provider-reported USD (OpenRouter). */
  reportsCost?: boolean
  /** Static, non-secret headers (e.g. OpenRouter's `HTTP-Referer`, `X-Title`). */
  headers?: Record<string, string>
  productionSafe?: boolean
  requiresKey?: boolean
  transport?: LocalTransport
}

const PATHS: Record<Operation, string | undefined> = {
  chat: '/chat/completions',
  embeddings: '/embeddings',
  models: '/models',
  messages: undefined
}

export function trimBaseUrl (url: string): string {
  return url.replace(/\/+$/, '')
}

/** Common headers: JSON, the correlation id, and the credential as a bearer token. */
export function bearerHeaders (ctx: CallContext, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra }
  if (ctx.requestId !== undefined) headers['x-request-id'] = ctx.requestId
  if (ctx.key !== undefined) headers.authorization = `Bearer ${ctx.key}`
  return headers
}

const INCLUDE_USAGE = '"stream_options":{"include_usage":true}'

/**
 * The OpenAI-format chat body to send, as JSON: routed model, and `stream_options.include_usage`
 * added when the proxy decided so and the client did not ask itself.
 */
export function openAIChatJson (body: JsonObject, ctx: CallContext): { json: string, injected: boolean, clientWantsUsage: boolean } {
  const streamOptions = obj(body.stream_options)
  const clientWantsUsage = body.stream === true && streamOptions?.include_usage === true
  const inject = body.stream === true && !clientWantsUsage && ctx.injectIncludeUsage
  if (body.model === ctx.model && (!inject || body.stream_options === undefined)) {
    // The common call: the client's body as it is, the field appended to its text when it is
    // added (where a copy with it set last would have put it), with no copy of the object.
    const json = JSON.stringify(body)
    if (!inject) return { json, injected: false, clientWantsUsage }
    return { json: `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}${INCLUDE_USAGE}}`, injected: true, clientWantsUsage }
  }
  const out: JsonObject = { ...body, model: ctx.model }
  if (inject) out.stream_options = { ...streamOptions, include_usage: true }
  return { json: JSON.stringify(out), injected: inject, clientWantsUsage }
}

/** Non-streaming OpenAI-format answer → result: the body is passed on unchanged. */
export function openAIResult (operation: Operation, value: unknown, reportsCost: boolean): ProviderResult {
  const body = obj(value) ?? {}
  const result: ProviderResult = { body }
  const usage = fromOpenAIUsage(body.usage, reportsCost)
  if (usage !== undefined) result.usage = usage
  const model = str(body.model)
  if (model !== undefined) result.model = model
  const id = str(body.id)
  if (id !== undefined) result.id = id
  if (operation === 'chat') {
    const reason = str(obj(arr(body.choices)?.[0])?.finish_reason)
    if (reason !== undefined) result.finishReason = reason
  }
  return result
}

export function openAIModels (value: unknown): ModelInfo[] {
  const out: ModelInfo[] = []
  for (const raw of arr(obj(value)?.data) ?? []) {
    const m = obj(raw)
    const id = str(m?.id)
    if (id === undefined) continue
    const info: ModelInfo = { id }
    const created = num(m?.created)
    if (created !== undefined) info.created = created
    const owner = str(m?.owned_by)
    if (owner !== undefined) info.ownedBy = owner
    out.push(info)
  }
  return out
}

/** The shared base of every OpenAI-compatible provider (openai, openrouter, puter, custom base URLs). */
export function openAICompatible (spec: OpenAICompatibleSpec): ProviderAdapter {
  const baseUrl = trimBaseUrl(spec.baseUrl)
  const reportsCost = spec.reportsCost === true
  const path = (operation: Operation): string => {
    const p = PATHS[operation]
    if (p === undefined) throw new ProviderInputError('model', `${spec.name} does not serve the ${operation} operation`)
    return p
  }
  const buildHeaders = (ctx: CallContext): Record<string, string> => bearerHeaders(ctx, spec.headers)

  const adapter: ProviderAdapter = {
    name: spec.name,
    kind: spec.kind,
    baseUrl,
    productionSafe: spec.productionSafe ?? true,
    requiresKey: spec.requiresKey ?? true,
    includeUsage: spec.includeUsage,
    supports: (operation: Operation, clientFormat: WireFormat) => clientFormat === 'openai' && PATHS[operation] !== undefined,
    wireFormat: () => 'openai',
    path,
    buildHeaders,
    transformRequest (operation: Operation, clientFormat: WireFormat, body: JsonObject, ctx: CallContext): UpstreamRequest {
      if (!adapter.supports(operation, clientFormat)) {
        throw new ProviderInputError('model', `${spec.name} does not serve ${clientFormat}-format ${operation} requests`)
      }
      const url = baseUrl + path(operation)
      const headers = buildHeaders(ctx)
      if (operation === 'models') {
        delete headers['content-type']
        return { method: 'GET', url, headers, stream: false, injectedIncludeUsage: false, clientWantsUsage: false }
      }
      if (operation === 'embeddings') {
        return { method: 'POST', url, headers, body: JSON.stringify({ ...body, model: ctx.model }), stream: false, injectedIncludeUsage: false, clientWantsUsage: false }
      }
      const chat = openAIChatJson(body, ctx)
      const stream = body.stream === true
      if (stream) headers.accept = 'text/event-stream'
      return { method: 'POST', url, headers, body: chat.json, stream, injectedIncludeUsage: chat.injected, clientWantsUsage: chat.clientWantsUsage }
    },
    transformResponse: (operation: Operation, _clientFormat: WireFormat, body: unknown) => openAIResult(operation, body, reportsCost),
    createStream: (_clientFormat, request, options) => new SsePipeline(
      new OpenAIStreamMachine({ provider: spec.name, hideUsage: request.injectedIncludeUsage && !request.clientWantsUsage, reportsCost }),
      'openai', spec.name, options.requestId),
    extractUsage: (body: unknown) => fromOpenAIUsage(obj(body)?.usage, reportsCost),
    listModels: openAIModels,
    mapError: (status: number, headers: HeaderBag, bodyText: string, now: number) => mapUpstreamError(spec.name, status, headers, bodyText, now)
  }
  if (spec.defaultModel !== undefined) Object.assign(adapter, { defaultModel: spec.defaultModel })
  if (spec.transport !== undefined) Object.assign(adapter, { transport: spec.transport })
  return adapter
}
