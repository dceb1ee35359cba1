import { normalizeAnthropicResponse, normalizeOpenAIResponse } from '../lib/normalize.js'
import { CallTrace, type CallResult, type TraceContext, type TraceSink } from './call.js'
import { ObserveError } from './errors.js'
import { anthropicStreamAccumulator, isAsyncIterable, observeStream, openAIStreamAccumulator } from './stream.js'

type Json = Record<string, unknown>
type Method = (this: unknown, ...args: unknown[]) => unknown
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null

/** Which traces a patched method feeds, decided at each call (the instance, or the default one). */
export interface Binding {
  sink(): TraceSink | undefined
  context(): TraceContext
}

export type CallKind = 'chat' | 'embeddings' | 'messages'

/** Marks a patched resource so observing a client twice does not trace its calls twice. */
const PATCHED = Symbol.for('pulse-proxy.sdk.patched')

/**
 * The promise both official SDKs return (`APIPromise`): it parses the body lazily, through its own
 * `parseResponse` property, when it is first awaited (`then`, `withResponse`, …).
 */
interface ApiPromiseLike {
  responsePromise: Promise<unknown>
  parseResponse: Method
  parse: Method
  asResponse: Method
}

function isApiPromise (value: unknown): value is ApiPromiseLike {
  if (!(value instanceof Promise)) return false
  const v = value as unknown as Partial<ApiPromiseLike>
  return v.responsePromise instanceof Promise && typeof v.parseResponse === 'function' &&
    typeof v.parse === 'function' && typeof v.asResponse === 'function'
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return isObject(value) && typeof (value as { then?: unknown }).then === 'function'
}

/** An embeddings response without its vectors (thousands of floats each, useless in a trace). */
function embeddingsBody (data: Json): Json {
  const items = Array.isArray(data.data) ? data.data : []
  return {
    object: data.object,
    model: data.model,
    usage: data.usage,
    data: items.filter(isObject).map((d) => ({
      object: d.object,
      index: d.index,
      // A float array, a Float32Array (the SDK decodes base64) or a base64 string.
      dimensions: typeof d.embedding === 'string' ? undefined : (d.embedding as { length?: number } | undefined)?.length
    }))
  }
}

function completeResult (kind: CallKind, data: unknown): CallResult {
  if (!isObject(data)) return { normalized: { content: null } }
  if (kind === 'messages') return { normalized: normalizeAnthropicResponse(data), responseBody: data }
  if (kind === 'embeddings') return { normalized: normalizeOpenAIResponse(data), responseBody: embeddingsBody(data) }
  return { normalized: normalizeOpenAIResponse(data), responseBody: data }
}

function instrumentStream (stream: unknown, call: CallTrace, kind: CallKind, params: Json): void {
  if (!isAsyncIterable(stream)) return call.succeed({ normalized: { content: null } })
  const acc = kind === 'messages' ? anthropicStreamAccumulator(params) : openAIStreamAccumulator(params)
  const controller = (stream as { controller?: unknown }).controller
  const signal = controller instanceof AbortController ? controller.signal : undefined
  const markFirstToken = () => call.markFirstToken()
  observeStream(stream, signal, {
    onItem: (item) => acc.onItem(item, markFirstToken),
    onEnd: (end) => {
      const result = acc.result()
      if (end.reason === 'cancelled') return call.cancel(end.message, result)
      if (end.reason === 'failed') return call.fail(end.error, result)
      if (acc.complete) return call.succeed(result)
      // The connection closed cleanly but the provider never said it had finished.
      call.fail({ name: 'IncompleteStreamError', type: 'incomplete_stream', message: 'the stream ended before the provider finished the response' }, result)
    }
  })
}

/**
 * Observes what `create()` returned, without replacing it: an APIPromise is instrumented in place
 * (its parse step reports the data, its request reports failures), so the caller still gets the
 * client's own promise — `withResponse()`, `asResponse()` and the stream object included.
 */
function observeResult (result: unknown, call: CallTrace, kind: CallKind, params: Json): void {
  const onData = (data: unknown) => {
    if (params.stream === true) instrumentStream(data, call, kind, params)
    else call.succeed(completeResult(kind, data))
  }
  if (isApiPromise(result)) {
    const parseResponse = result.parseResponse
    result.parseResponse = async function (this: unknown, ...args: unknown[]) {
      let data: unknown
      try {
        data = await parseResponse.apply(this, args)
      } catch (err) {
        call.fail(err)
        throw err
      }
      try {
        onData(data)
      } catch (err) {
        call.fail(err)
      }
      return data
    }
    // `asResponse()` alone hands the raw body to the caller, who may never parse it: the call ends
    // when the response arrives. `withResponse()` parses first, so it is traced with its body.
    let parsing = false
    const parse = result.parse
    result.parse = function (this: unknown, ...args: unknown[]) {
      parsing = true
      return parse.apply(this, args)
    }
    const asResponse = result.asResponse
    result.asResponse = function (this: unknown, ...args: unknown[]) {
      const raw = !parsing
      const response = asResponse.apply(this, args)
      if (raw && isThenable(response)) response.then(() => call.succeed({ normalized: { content: null } }), () => {})
      return response
    }
    result.responsePromise.then(undefined, (err: unknown) => call.fail(err))
  } else if (isThenable(result)) {
    result.then(onData, (err: unknown) => call.fail(err))
  } else {
    onData(result)
  }
}

function wrapCreate (original: Method, kind: CallKind, provider: string, binding: Binding): Method {
  return function pulseObserved (this: unknown, ...args: unknown[]) {
    const sink = binding.sink()
    if (sink === undefined) return original.apply(this, args)
    const params: Json = isObject(args[0]) ? args[0] : {}
    const call = new CallTrace(sink, provider, params, binding.context())
    let result: unknown
    try {
      result = original.apply(this, args)
    } catch (err) {
      call.fail(err)
      throw err
    }
    try {
      observeResult(result, call, kind, params)
    } catch (err) {
      call.fail(err)
    }
    return result
  }
}

function resource (client: unknown, path: readonly string[]): Json | undefined {
  let node: unknown = client
  for (const key of path) {
    if (!isObject(node)) return undefined
    node = node[key]
  }
  return isObject(node) && typeof node.create === 'function' ? node : undefined
}

/** Patch `create` on the client's own resource object (not its class: other clients stay untouched). */
function patch (target: Json, kind: CallKind, provider: string, binding: Binding): void {
  if (target[PATCHED as unknown as string] === true) return
  target.create = wrapCreate(target.create as Method, kind, provider, binding)
  Object.defineProperty(target, PATCHED, { value: true, enumerable: false })
}

export type ProviderOption = 'auto' | 'openai' | 'anthropic' | 'openrouter' | (string & Record<never, never>)

const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** openai / openrouter (OpenAI client whose baseURL names OpenRouter) / anthropic, from the client's shape. */
export function detectProvider (client: unknown): 'openai' | 'openrouter' | 'anthropic' | undefined {
  if (resource(client, ['chat', 'completions']) !== undefined) {
    const baseURL = isObject(client) && typeof client.baseURL === 'string' ? client.baseURL : ''
    return /openrouter/i.test(baseURL) ? 'openrouter' : 'openai'
  }
  if (resource(client, ['messages']) !== undefined) return 'anthropic'
  return undefined
}

/** Instrument a client in place; returns the provider name its traces carry. */
export function patchClient (client: object, provider: ProviderOption | undefined, binding: Binding): string {
  const detected = detectProvider(client)
  const name = provider === undefined || provider === 'auto' ? detected : provider
  if (name === undefined) {
    throw new ObserveError('observe(client): not an OpenAI or Anthropic client (no chat.completions.create or messages.create)')
  }
  if (!PROVIDER_NAME.test(name)) throw new ObserveError(`observe(client, provider): "${name}" is not a valid provider name`)
  const messages = resource(client, ['messages'])
  const chat = resource(client, ['chat', 'completions'])
  if (name === 'anthropic' || (chat === undefined && messages !== undefined)) {
    if (messages === undefined) throw new ObserveError('observe(client, "anthropic"): the client has no messages.create')
    patch(messages, 'messages', name, binding)
    return name
  }
  if (chat === undefined) throw new ObserveError(`observe(client, "${name}"): the client has no chat.completions.create`)
  patch(chat, 'chat', name, binding)
  const embeddings = resource(client, ['embeddings'])
  if (embeddings !== undefined) patch(embeddings, 'embeddings', name, binding)
  return name
}
