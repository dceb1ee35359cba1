import { AnthropicToOpenAIMachine } from '../stream/anthropic-to-openai.js'
import { AnthropicStreamMachine } from '../stream/anthropic-machine.js'
import { SsePipeline, type StreamPipeline } from '../stream/pipeline.js'
import { mapUpstreamError } from './errors.js'
import { arr, obj, str, type JsonObject } from './json.js'
import { trimBaseUrl } from './openai-compatible.js'
import { anthropicToOpenAIResponse } from './translate/anthropic-to-openai.js'
import { openAIToAnthropicRequest } from './translate/openai-to-anthropic.js'
import { anthropicStopToOpenAI } from './translate/stop-reasons.js'
import {
  ProviderInputError,
  type CallContext, type HeaderBag, type ModelInfo, type Operation, type ProviderAdapter, type ProviderResult,
  type StreamOptions, type UpstreamRequest, type WireFormat
} from './types.js'
import { fromAnthropicUsage } from './usage.js'

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1'
export const ANTHROPIC_VERSION = '2023-06-01'
export const DEFAULT_MAX_TOKENS = 4096

export interface AnthropicConfig {
  baseUrl?: string
  /** `anthropic-version` when the client sends none. */
  version?: string
  /** `max_tokens` for translated OpenAI requests that set none (Anthropic requires it). */
  defaultMaxTokens?: number
}

function firstHeader (headers: HeaderBag | undefined, name: string): string | undefined {
  const v = headers?.[name]
  return Array.isArray(v) ? v[0] : v
}

/** Anthropic-native answer → result: the body passes on unchanged. */
export function anthropicResult (value: unknown): ProviderResult {
  const body = obj(value) ?? {}
  const result: ProviderResult = { body }
  const usage = fromAnthropicUsage(body.usage)
  if (usage !== undefined) result.usage = usage
  const finish = anthropicStopToOpenAI(str(body.stop_reason))
  if (finish !== null) result.finishReason = finish
  const model = str(body.model)
  if (model !== undefined) result.model = model
  const id = str(body.id)
  if (id !== undefined) result.id = id
  return result
}

export function anthropicModels (value: unknown): ModelInfo[] {
  const out: ModelInfo[] = []
  for (const raw of arr(obj(value)?.data) ?? []) {
    const m = obj(raw)
    const id = str(m?.id)
    if (id === undefined) continue
    const info: ModelInfo = { id, ownedBy: 'anthropic' }
    const created = Date.parse(str(m?.created_at) ?? '')
    if (!Number.isNaN(created)) info.created = Math.floor(created / 1000)
    out.push(info)
  }
  return out
}

/** The stream machine for an Anthropic-wire upstream, for either client format. */
export function anthropicStream (provider: string, clientFormat: WireFormat, request: UpstreamRequest, model: string, options: StreamOptions): StreamPipeline {
  const machine = clientFormat === 'openai'
    ? new AnthropicToOpenAIMachine({ provider, model, includeUsage: request.clientWantsUsage, created: Math.floor(options.now / 1000) })
    : new AnthropicStreamMachine(provider)
  return new SsePipeline(machine, clientFormat, provider, options.requestId)
}

/**
 * Anthropic: native for `/v1/messages`; OpenAI-format chat requests are translated both ways.
 * Usage in streams needs no injection: Anthropic always reports it.
 */
export function anthropicProvider (config: AnthropicConfig = {}, name = 'anthropic'): ProviderAdapter {
  const baseUrl = trimBaseUrl(config.baseUrl ?? ANTHROPIC_BASE_URL)
  const version = config.version ?? ANTHROPIC_VERSION
  const defaultMaxTokens = config.defaultMaxTokens ?? DEFAULT_MAX_TOKENS

  const supports = (operation: Operation, clientFormat: WireFormat): boolean =>
    operation === 'models' ||
    (operation === 'chat' && clientFormat === 'openai') ||
    (operation === 'messages' && clientFormat === 'anthropic')

  const path = (operation: Operation): string => {
    if (operation === 'models') return '/models'
    if (operation === 'chat' || operation === 'messages') return '/messages'
    throw new ProviderInputError('model', `${name} does not serve the ${operation} operation`)
  }

  const buildHeaders = (ctx: CallContext): Record<string, string> => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': firstHeader(ctx.clientHeaders, 'anthropic-version') ?? version
    }
    const beta = firstHeader(ctx.clientHeaders, 'anthropic-beta')
    if (beta !== undefined) headers['anthropic-beta'] = beta
    if (ctx.requestId !== undefined) headers['x-request-id'] = ctx.requestId
    if (ctx.key !== undefined) headers['x-api-key'] = ctx.key
    return headers
  }

  // Translated chunks name a model even if the upstream's message_start never comes.
  const lastModel = (request: UpstreamRequest): string => str(obj(JSON.parse(request.body ?? '{}'))?.model) ?? ''

  return {
    name,
    kind: 'anthropic',
    baseUrl,
    productionSafe: true,
    requiresKey: true,
    includeUsage: 'never',
    supports,
    wireFormat: () => 'anthropic',
    path,
    buildHeaders,
    transformRequest (operation: Operation, clientFormat: WireFormat, body: JsonObject, ctx: CallContext): UpstreamRequest {
      if (!supports(operation, clientFormat)) {
        throw new ProviderInputError('model', `${name} does not serve ${clientFormat}-format ${operation} requests`)
      }
      const url = baseUrl + path(operation)
      const headers = buildHeaders(ctx)
      if (operation === 'models') {
        delete headers['content-type']
        return { method: 'GET', url, headers, stream: false, injectedIncludeUsage: false, clientWantsUsage: false }
      }
      const stream = body.stream === true
      if (stream) headers.accept = 'text/event-stream'
      const upstream = clientFormat === 'openai'
        ? openAIToAnthropicRequest(body, { model: ctx.model, defaultMaxTokens })
        : { ...body, model: ctx.model }
      const clientWantsUsage = clientFormat === 'openai' && stream && obj(body.stream_options)?.include_usage === true
      return { method: 'POST', url, headers, body: JSON.stringify(upstream), stream, injectedIncludeUsage: false, clientWantsUsage }
    },
    transformResponse (operation: Operation, clientFormat: WireFormat, body: unknown, ctx: CallContext): ProviderResult {
      if (operation === 'models') return { body: obj(body) ?? {} }
      if (clientFormat === 'anthropic') return anthropicResult(body)
      const native = anthropicResult(body)
      const translated = anthropicToOpenAIResponse(body, ctx.model, Math.floor(ctx.now / 1000))
      return { ...native, body: { ...translated.body }, usage: translated.usage }
    },
    createStream: (clientFormat, request, options) => anthropicStream(name, clientFormat, request, lastModel(request), options),
    extractUsage: (body: unknown) => fromAnthropicUsage(obj(body)?.usage),
    listModels: anthropicModels,
    mapError: (status: number, headers: HeaderBag, bodyText: string, now: number) => mapUpstreamError(name, status, headers, bodyText, now)
  }
}
