import { arr, obj, str } from '../json.js'
import type { Usage } from '../types.js'
import { emptyUsage, fromAnthropicUsage, toOpenAIUsage } from '../usage.js'
import type { OpenAIChatCompletion, OpenAIToolCall } from '../wire-openai.js'
import { anthropicStopToOpenAI } from './stop-reasons.js'

export interface TranslatedCompletion {
  body: OpenAIChatCompletion
  usage: Usage
}

/**
 * Anthropic Messages response → OpenAI chat completion: text blocks join into `message.content`,
 * `tool_use` blocks become `tool_calls`, `stop_reason` and token fields map per seed 001.
 */
export function anthropicToOpenAIResponse (value: unknown, fallbackModel: string, created: number): TranslatedCompletion {
  const body = obj(value) ?? {}
  let text = ''
  let hasText = false
  const calls: OpenAIToolCall[] = []
  for (const raw of arr(body.content) ?? []) {
    const block = obj(raw)
    if (block?.type === 'text') {
      text += str(block.text) ?? ''
      hasText = true
    } else if (block?.type === 'tool_use') {
      calls.push({
        id: str(block.id) ?? `call_${calls.length}`,
        type: 'function',
        function: { name: str(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) }
      })
    }
  }
  const usage = fromAnthropicUsage(body.usage) ?? emptyUsage()
  const message: OpenAIChatCompletion['choices'][number]['message'] = { role: 'assistant', content: hasText ? text : null }
  if (calls.length > 0) message.tool_calls = calls
  return {
    usage,
    body: {
      id: str(body.id) ?? 'msg_unknown',
      object: 'chat.completion',
      created,
      model: str(body.model) ?? fallbackModel,
      choices: [{ index: 0, message, finish_reason: anthropicStopToOpenAI(str(body.stop_reason)) ?? 'stop', logprobs: null }],
      usage: toOpenAIUsage(usage)
    }
  }
}
