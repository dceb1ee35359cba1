import { DONE, encodeEvent } from '../stream/sse-encode.js'
import type { MockReply } from './mock-replies.js'
import { openAIFinishToAnthropic } from './translate/stop-reasons.js'
import type { OpenAIChatCompletion, OpenAIChunk, OpenAIUsage } from './wire-openai.js'

/** The mock's answers in the two wire formats, built from one MockReply so both agree on text and usage. */

function openAIUsage (r: MockReply): OpenAIUsage {
  return {
    prompt_tokens: r.inputTokens,
    completion_tokens: r.outputTokens,
    total_tokens: r.inputTokens + r.outputTokens,
    prompt_tokens_details: { cached_tokens: 0 }
  }
}

export function openAICompletion (r: MockReply, model: string, created: number): OpenAIChatCompletion {
  return {
    id: `chatcmpl-mock-${r.id}`,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: r.text, refusal: null }, finish_reason: r.finish, logprobs: null }],
    usage: openAIUsage(r)
  }
}

export function openAIStreamEvents (r: MockReply, model: string, created: number, includeUsage: boolean): string[] {
  const base = { id: `chatcmpl-mock-${r.id}`, object: 'chat.completion.chunk' as const, created, model }
  const chunk = (delta: OpenAIChunk['choices'][number]['delta'], finish: string | null = null): string => {
    const c: OpenAIChunk = { ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] }
    if (includeUsage) c.usage = null
    return encodeEvent(JSON.stringify(c))
  }
  const events = [chunk({ role: 'assistant', content: '' })]
  for (const piece of r.pieces) events.push(chunk({ content: piece }))
  events.push(chunk({}, r.finish))
  if (includeUsage) events.push(encodeEvent(JSON.stringify({ ...base, choices: [], usage: openAIUsage(r) })))
  events.push(DONE)
  return events
}

function anthropicUsage (r: MockReply): Record<string, number> {
  return { input_tokens: r.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: r.outputTokens }
}

export function anthropicMessage (r: MockReply, model: string): Record<string, unknown> {
  return {
    id: `msg_mock_${r.id}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: r.text }],
    stop_reason: openAIFinishToAnthropic(r.finish),
    stop_sequence: null,
    usage: anthropicUsage(r)
  }
}

export function anthropicStreamEvents (r: MockReply, model: string): string[] {
  const ev = (type: string, body: Record<string, unknown>): string => encodeEvent(JSON.stringify({ type, ...body }), type)
  const start = anthropicUsage(r)
  const events = [
    ev('message_start', {
      message: {
        id: `msg_mock_${r.id}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...start, output_tokens: 1 }
      }
    }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', {})
  ]
  for (const piece of r.pieces) events.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }))
  events.push(ev('content_block_stop', { index: 0 }))
  events.push(ev('message_delta', { delta: { stop_reason: openAIFinishToAnthropic(r.finish), stop_sequence: null }, usage: { output_tokens: r.outputTokens } }))
  events.push(ev('message_stop', {}))
  return events
}
