import { normalizeAnthropicResponse, normalizeOpenAIResponse } from '../lib/normalize.js'
import { isAbort, type CallResult } from './call.js'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** How the application's read of a stream ended. */
export type StreamEnd =
  | { reason: 'completed' }
  | { reason: 'cancelled', message: string }
  | { reason: 'failed', error: unknown }

export interface StreamObserver {
  onItem(item: unknown): void
  onEnd(end: StreamEnd): void
}

interface AsyncIterableObject {
  [Symbol.asyncIterator](): AsyncIterator<unknown>
}

export function isAsyncIterable (value: unknown): value is AsyncIterableObject {
  return typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterableObject>)[Symbol.asyncIterator] === 'function'
}

/**
 * Instruments `stream` in place: its iterator method is replaced by one that
 * reports every item and, exactly once, how the read ended. The object stays the client's
 * (`controller`, `tee()`, `toReadableStream()` keep working, and use the instrumented iterator).
 *
 * Until the application starts reading, an abort of `signal` ends it as cancelled. Once reading
 * has started the listener goes: the client's Stream aborts its own controller when it fails or
 * is closed, which must not count as the caller's abort; from then on the iterator sees every end.
 */
export function observeStream (stream: AsyncIterableObject, signal: AbortSignal | undefined, observer: StreamObserver): void {
  // Both SDKs' Stream keeps its generator in an own `iterator` property, which
  // `[Symbol.asyncIterator]()` and OpenAI's `tee()` call: instrumenting it covers every reader.
  const own = stream as unknown as { iterator?: unknown }
  const key: 'iterator' | typeof Symbol.asyncIterator = typeof own.iterator === 'function' ? 'iterator' : Symbol.asyncIterator
  const target = stream as unknown as Record<typeof key, (this: unknown) => AsyncIterator<unknown>>
  const iterate = target[key]
  let ended = false
  const end = (how: StreamEnd) => {
    if (ended) return
    ended = true
    signal?.removeEventListener('abort', onAbort)
    try {
      observer.onEnd(how)
    } catch {
      // Tracing never breaks the application's read.
    }
  }
  const onAbort = () => end({ reason: 'cancelled', message: 'stream aborted by the caller' })
  if (signal?.aborted === true) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })

  let observed = false
  // A plain function, not an arrow: the client's iterator method reads its own `this`.
  target[key] = function (this: unknown) {
    const source = iterate.call(this)
    if (observed) return source
    observed = true
    signal?.removeEventListener('abort', onAbort)
    const iterator: AsyncIterableIterator<unknown> = {
      async next () {
        let result: IteratorResult<unknown>
        try {
          result = await source.next()
        } catch (error) {
          end(isAbort(error) ? { reason: 'cancelled', message: 'stream aborted by the caller' } : { reason: 'failed', error })
          throw error
        }
        if (result.done === true) {
          // The client's Stream ends quietly when its controller is aborted mid-read.
          end(signal?.aborted === true ? { reason: 'cancelled', message: 'stream aborted by the caller' } : { reason: 'completed' })
        } else if (!ended) {
          try {
            observer.onItem(result.value)
          } catch {
            // An odd chunk must not break the application's read.
          }
        }
        return result
      },
      async return (value?: unknown) {
        end({ reason: 'cancelled', message: 'caller stopped reading the stream' })
        return (await source.return?.(value)) ?? { done: true, value }
      },
      async throw (error?: unknown) {
        end({ reason: 'cancelled', message: 'caller stopped reading the stream' })
        if (source.throw !== undefined) return source.throw(error)
        throw error
      },
      [Symbol.asyncIterator] () { return iterator }
    }
    return iterator
  }
}

/** A rough token count (≈ 4 characters a token) for streams that report no usage. */
export function estimateTokens (text: string): number {
  return Math.ceil(text.length / 4)
}

function estimateInput (params: Json): number {
  const { messages, system, tools, input, prompt } = params
  return estimateTokens(JSON.stringify({ messages, system, tools, input, prompt }) ?? '')
}

export interface StreamAccumulator {
  onItem(item: unknown, markFirstToken: () => void): void
  /** Whether the provider finished the response (finish_reason / message_stop seen). */
  readonly complete: boolean
  result(): CallResult
}

interface OpenAIChoice {
  content: string
  refusal: string
  finishReason?: unknown
  role?: unknown
  tools: Map<number, { id?: unknown, type?: unknown, function: { name: string, arguments: string } }>
}

/** Rebuilds a chat completion from `chat.completion.chunk`s (include_usage chunk included). */
export function openAIStreamAccumulator (params: Json): StreamAccumulator {
  let id: unknown
  let model: unknown
  let created: unknown
  let usage: Json | undefined
  let complete = false
  const choices = new Map<number, OpenAIChoice>()

  return {
    get complete () { return complete },
    onItem (chunk, markFirstToken) {
      if (!isObject(chunk)) return
      id ??= chunk.id
      model ??= chunk.model
      created ??= chunk.created
      if (isObject(chunk.usage)) usage = chunk.usage
      if (!Array.isArray(chunk.choices)) return
      for (const c of chunk.choices) {
        if (!isObject(c)) continue
        const index = typeof c.index === 'number' ? c.index : 0
        let acc = choices.get(index)
        if (acc === undefined) {
          acc = { content: '', refusal: '', tools: new Map() }
          choices.set(index, acc)
        }
        const delta = isObject(c.delta) ? c.delta : {}
        if (delta.role !== undefined) acc.role = delta.role
        if (typeof delta.content === 'string' && delta.content !== '') {
          acc.content += delta.content
          markFirstToken()
        }
        if (typeof delta.refusal === 'string' && delta.refusal !== '') {
          acc.refusal += delta.refusal
          markFirstToken()
        }
        if (Array.isArray(delta.tool_calls)) {
          markFirstToken()
          for (const t of delta.tool_calls) {
            if (!isObject(t)) continue
            const ti = typeof t.index === 'number' ? t.index : 0
            const fn = isObject(t.function) ? t.function : {}
            const tool = acc.tools.get(ti) ?? { function: { name: '', arguments: '' } }
            if (t.id !== undefined) tool.id = t.id
            if (t.type !== undefined) tool.type = t.type
            if (typeof fn.name === 'string') tool.function.name += fn.name
            if (typeof fn.arguments === 'string') tool.function.arguments += fn.arguments
            acc.tools.set(ti, tool)
          }
        }
        if (c.finish_reason != null) {
          acc.finishReason = c.finish_reason
          complete = true
        }
      }
    },
    result () {
      const built = [...choices.entries()].sort(([a], [b]) => a - b).map(([index, c]) => ({
        index,
        message: {
          role: c.role ?? 'assistant',
          content: c.content === '' && c.tools.size > 0 ? null : c.content,
          ...(c.refusal !== '' ? { refusal: c.refusal } : {}),
          ...(c.tools.size > 0 ? { tool_calls: [...c.tools.values()] } : {})
        },
        finish_reason: c.finishReason ?? null
      }))
      const response: Json = { id, object: 'chat.completion', created, model, choices: built, ...(usage !== undefined ? { usage } : {}) }
      const normalized = normalizeOpenAIResponse(response)
      if (usage !== undefined && normalized.inputTokens !== undefined) return { normalized, responseBody: response }
      // No usage chunk (stream_options.include_usage unset, or the stream was cut before it).
      const text = [...choices.values()].map((c) => c.content + c.refusal + [...c.tools.values()].map((t) => t.function.arguments).join('')).join('')
      return {
        normalized: { ...normalized, inputTokens: estimateInput(params), outputTokens: estimateTokens(text) },
        responseBody: response,
        usageEstimated: true
      }
    }
  }
}

interface AnthropicBlock extends Json {
  type?: unknown
  text?: string
  partialJson?: string
  thinking?: string
}

/**
 * Rebuilds an Anthropic message from stream events. `message_start` carries the input usage and
 * a placeholder output count; each `message_delta` carries the *cumulative* output_tokens (and,
 * when present, final totals), which replace the earlier values rather than add to them.
 */
export function anthropicStreamAccumulator (params: Json): StreamAccumulator {
  let message: Json | undefined
  let usage: Json = {}
  let stopReason: unknown
  let sawMessageDelta = false
  let complete = false
  const blocks = new Map<number, AnthropicBlock>()

  return {
    get complete () { return complete },
    onItem (event, markFirstToken) {
      if (!isObject(event)) return
      switch (event.type) {
        case 'message_start':
          if (isObject(event.message)) {
            message = { ...event.message }
            usage = isObject(event.message.usage) ? { ...event.message.usage } : {}
          }
          break
        case 'content_block_start': {
          const index = typeof event.index === 'number' ? event.index : blocks.size
          const block: AnthropicBlock = isObject(event.content_block) ? { ...event.content_block } : {}
          blocks.set(index, block)
          break
        }
        case 'content_block_delta': {
          markFirstToken()
          const index = typeof event.index === 'number' ? event.index : 0
          const block = blocks.get(index) ?? {}
          blocks.set(index, block)
          const delta = isObject(event.delta) ? event.delta : {}
          if (delta.type === 'text_delta' && typeof delta.text === 'string') block.text = (block.text ?? '') + delta.text
          else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') block.partialJson = (block.partialJson ?? '') + delta.partial_json
          else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') block.thinking = (block.thinking ?? '') + delta.thinking
          break
        }
        case 'message_delta': {
          sawMessageDelta = true
          const delta = isObject(event.delta) ? event.delta : {}
          if (delta.stop_reason != null) stopReason = delta.stop_reason
          if (isObject(event.usage)) {
            // Totals, not increments: a present value replaces the earlier one.
            for (const [k, v] of Object.entries(event.usage)) if (v != null) usage[k] = v
          }
          break
        }
        case 'message_stop':
          complete = true
          break
      }
    },
    result () {
      const content = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, b]) => {
        const { partialJson, ...rest } = b
        if (partialJson === undefined) return rest
        try {
          return { ...rest, input: JSON.parse(partialJson) as unknown }
        } catch {
          return { ...rest, input: partialJson }
        }
      })
      const response: Json = { ...message, type: 'message', content, stop_reason: stopReason ?? message?.stop_reason ?? null, usage }
      const normalized = normalizeAnthropicResponse(response)
      const text = [...blocks.values()].map((b) => (b.text ?? '') + (b.partialJson ?? '') + (b.thinking ?? '')).join('')
      if (message === undefined || normalized.inputTokens === undefined) {
        return { normalized: { ...normalized, inputTokens: estimateInput(params), outputTokens: estimateTokens(text) }, responseBody: response, usageEstimated: true }
      }
      if (!sawMessageDelta) {
        // message_start's output_tokens is a placeholder; the real count only comes with message_delta.
        return { normalized: { ...normalized, outputTokens: Math.max(normalized.outputTokens ?? 0, estimateTokens(text)) }, responseBody: response, usageEstimated: true }
      }
      return { normalized, responseBody: response }
    }
  }
}
