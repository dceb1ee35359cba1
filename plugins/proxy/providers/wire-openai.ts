/** The parts of OpenAI's chat-completions wire format that pulse-proxy builds. */

export interface OpenAIUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details?: { cached_tokens?: number, cache_write_tokens?: number }
  completion_tokens_details?: { reasoning_tokens?: number }
  /** OpenRouter: cost in USD (credits). */
  cost?: number
}

export interface OpenAIToolCall {
  id: string
  type: 'function'
  function: { name: string, arguments: string }
}

export interface OpenAIChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: Array<{
    index: number
    message: { role: 'assistant', content: string | null, tool_calls?: OpenAIToolCall[], refusal?: null }
    finish_reason: string | null
    logprobs: null
  }>
  usage: OpenAIUsage
}

export interface OpenAIChunkToolCall {
  index: number
  id?: string
  type?: 'function'
  function: { name?: string, arguments: string }
}

export interface OpenAIChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: Array<{
    index: number
    delta: { role?: 'assistant', content?: string, tool_calls?: OpenAIChunkToolCall[] }
    finish_reason: string | null
    logprobs?: null
  }>
  usage?: OpenAIUsage | null
}
