/**
 * Provider responses → the trace schema's fields (seed 001's mapping tables).
 *
 * Stop reasons:  OpenAI/OpenRouter `stop` | Anthropic `end_turn`, `stop_sequence` → `stop`;
 *                `length` | `max_tokens` → `length`; `tool_calls` (and legacy `function_call`) | `tool_use` → `tool_calls`.
 * Tokens:        `prompt_tokens` | `input_tokens` → input; `completion_tokens` | `output_tokens` → output.
 *
 * One deliberate addition: `inputTokens` always counts every input token. OpenAI's
 * `prompt_tokens` already includes cached tokens; Anthropic's `input_tokens` excludes cache
 * reads and writes, so they are added back (and reported apart as cache read/write).
 */

export interface NormalizedUsage {
  inputTokens: number
  outputTokens: number
  cacheReadTokens?: number
  cacheWriteTokens?: number
}

export interface NormalizedResponse extends Partial<NormalizedUsage> {
  /** The generated text (Anthropic: every text block joined), or null when there is none. */
  content: string | null
  finishReason?: string
  model?: string
  /** The provider's id for the call (`chatcmpl-…`, `msg_…`). */
  id?: string
  /** Provider-reported cost in US cents (OpenRouter `usage.cost`, which is in US dollars). */
  costCents?: number
}

const STOP_REASONS: Readonly<Record<string, string>> = Object.freeze({
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  tool_use: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'content_filter'
})

/** A provider's stop reason in the normalised vocabulary; unknown reasons pass through unchanged. */
export function normalizeStopReason (reason: unknown): string | undefined {
  if (typeof reason !== 'string' || reason === '') return undefined
  return STOP_REASONS[reason] ?? reason
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.trunc(v) : undefined

/** OpenAI / OpenRouter `usage` (chat, embeddings, stream `include_usage` chunk). */
export function normalizeOpenAIUsage (usage: unknown): NormalizedUsage | undefined {
  if (!isObject(usage)) return undefined
  const input = count(usage.prompt_tokens) ?? count(usage.input_tokens)
  const output = count(usage.completion_tokens) ?? count(usage.output_tokens) ?? 0
  if (input === undefined) return undefined
  const details = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : isObject(usage.input_tokens_details) ? usage.input_tokens_details : {}
  const cacheRead = count(details.cached_tokens)
  const cacheWrite = count(details.cache_write_tokens)
  return {
    inputTokens: input,
    outputTokens: output,
    ...(cacheRead ? { cacheReadTokens: cacheRead } : {}),
    ...(cacheWrite ? { cacheWriteTokens: cacheWrite } : {})
  }
}

/** Anthropic `usage` (message, or `message_start`/`message_delta` stream events merged). */
export function normalizeAnthropicUsage (usage: unknown): NormalizedUsage | undefined {
  if (!isObject(usage)) return undefined
  const uncached = count(usage.input_tokens)
  const output = count(usage.output_tokens) ?? 0
  if (uncached === undefined) return undefined
  const cacheRead = count(usage.cache_read_input_tokens) ?? 0
  const cacheWrite = count(usage.cache_creation_input_tokens) ?? 0
  return {
    inputTokens: uncached + cacheRead + cacheWrite,
    outputTokens: output,
    ...(cacheRead ? { cacheReadTokens: cacheRead } : {}),
    ...(cacheWrite ? { cacheWriteTokens: cacheWrite } : {})
  }
}

function openAIText (content: unknown): string | null {
  if (typeof content === 'string') return content
  // Some compatible servers send content parts.
  if (Array.isArray(content)) {
    const text = content.filter(isObject).map((part) => (typeof part.text === 'string' ? part.text : '')).join('')
    return text === '' ? null : text
  }
  return null
}

/** OpenAI / OpenRouter chat completion (or embeddings) response. */
export function normalizeOpenAIResponse (response: unknown): NormalizedResponse {
  if (!isObject(response)) return { content: null }
  const choice = Array.isArray(response.choices) && isObject(response.choices[0]) ? response.choices[0] : undefined
  const message = choice !== undefined && isObject(choice.message) ? choice.message : undefined
  const usage = normalizeOpenAIUsage(response.usage)
  const finishReason = normalizeStopReason(choice?.finish_reason)
  // OpenRouter reports the charged amount in US dollars ("credits").
  const cost = isObject(response.usage) && typeof response.usage.cost === 'number' && Number.isFinite(response.usage.cost) && response.usage.cost >= 0
    ? response.usage.cost * 100
    : undefined
  return {
    content: message !== undefined ? openAIText(message.content) : choice !== undefined && typeof choice.text === 'string' ? choice.text : null,
    ...usage,
    ...(finishReason !== undefined ? { finishReason } : {}),
    ...(typeof response.model === 'string' ? { model: response.model } : {}),
    ...(typeof response.id === 'string' ? { id: response.id } : {}),
    ...(cost !== undefined ? { costCents: cost } : {})
  }
}

/** Anthropic Messages API response. */
export function normalizeAnthropicResponse (response: unknown): NormalizedResponse {
  if (!isObject(response)) return { content: null }
  const blocks = Array.isArray(response.content) ? response.content.filter(isObject) : []
  const text = blocks.filter((b) => b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string).join('')
  const usage = normalizeAnthropicUsage(response.usage)
  const finishReason = normalizeStopReason(response.stop_reason)
  return {
    content: text === '' ? null : text,
    ...usage,
    ...(finishReason !== undefined ? { finishReason } : {}),
    ...(typeof response.model === 'string' ? { model: response.model } : {}),
    ...(typeof response.id === 'string' ? { id: response.id } : {})
  }
}

/** The trace fields a normalised response fills, in the trace schema's snake_case. */
export function traceFields (n: NormalizedResponse) {
  return {
    ...(n.model !== undefined ? { model_used: n.model } : {}),
    ...(n.id !== undefined ? { provider_request_id: n.id } : {}),
    ...(n.content !== null ? { output_text: n.content } : {}),
    ...(n.finishReason !== undefined ? { finish_reason: n.finishReason } : {}),
    ...(n.inputTokens !== undefined ? { input_tokens: n.inputTokens, usage_source: 'provider' as const } : {}),
    ...(n.outputTokens !== undefined ? { output_tokens: n.outputTokens } : {}),
    ...(n.cacheReadTokens !== undefined ? { cache_read_tokens: n.cacheReadTokens } : {}),
    ...(n.cacheWriteTokens !== undefined ? { cache_write_tokens: n.cacheWriteTokens } : {}),
    ...(n.costCents !== undefined ? { cost_cents: n.costCents, cost_source: 'provider' as const } : {})
  }
}
