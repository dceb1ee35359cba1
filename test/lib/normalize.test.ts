import t from 'tap'
import { normalizeAnthropicResponse, normalizeAnthropicUsage, normalizeOpenAIResponse, normalizeOpenAIUsage, normalizeStopReason, traceFields } from '../../lib/normalize.js'

t.test("stop reasons per seed 001's table", async (t) => {
  const table: Array<[string, string]> = [
    ['stop', 'stop'], ['end_turn', 'stop'], ['stop_sequence', 'stop'],
    ['length', 'length'], ['max_tokens', 'length'],
    ['tool_calls', 'tool_calls'], ['tool_use', 'tool_calls'], ['function_call', 'tool_calls'],
    ['content_filter', 'content_filter'], ['refusal', 'content_filter'], ['pause_turn', 'pause_turn']
  ]
  for (const [given, want] of table) t.equal(normalizeStopReason(given), want, given)
  t.equal(normalizeStopReason(null), undefined)
  t.equal(normalizeStopReason(''), undefined)
})

t.test('OpenAI chat completion', async (t) => {
  const n = normalizeOpenAIResponse({
    id: 'chatcmpl-1',
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 8 } }
  })
  t.same(n, { content: 'Hello', inputTokens: 12, outputTokens: 3, cacheReadTokens: 8, finishReason: 'stop', model: 'gpt-4o-2024-08-06', id: 'chatcmpl-1' })
  t.same(traceFields(n), {
    model_used: 'gpt-4o-2024-08-06',
    provider_request_id: 'chatcmpl-1',
    output_text: 'Hello',
    finish_reason: 'stop',
    input_tokens: 12,
    usage_source: 'provider',
    output_tokens: 3,
    cache_read_tokens: 8
  })
  const tool = normalizeOpenAIResponse({ choices: [{ message: { content: null, tool_calls: [] }, finish_reason: 'tool_calls' }] })
  t.equal(tool.content, null)
  t.equal(tool.finishReason, 'tool_calls')
})

t.test('OpenRouter: same shape, cost in dollars becomes cents', async (t) => {
  const n = normalizeOpenAIResponse({
    model: 'anthropic/claude-3.5-haiku',
    choices: [{ message: { content: 'hi' }, finish_reason: 'length', native_finish_reason: 'max_tokens' }],
    usage: { prompt_tokens: 10, completion_tokens: 20, cost: 0.0015 }
  })
  t.equal(n.costCents, 0.15)
  t.equal(n.finishReason, 'length')
  t.same(traceFields(n).cost_source, 'provider')
})

t.test('Anthropic message: text blocks joined; input counts cache reads and writes', async (t) => {
  const n = normalizeAnthropicResponse({
    id: 'msg_1',
    model: 'claude-3-5-sonnet-20241022',
    content: [{ type: 'text', text: 'Hel' }, { type: 'tool_use', id: 't', name: 'x', input: {} }, { type: 'text', text: 'lo' }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 5, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 }
  })
  t.same(n, { content: 'Hello', inputTokens: 125, outputTokens: 7, cacheReadTokens: 100, cacheWriteTokens: 20, finishReason: 'stop', model: 'claude-3-5-sonnet-20241022', id: 'msg_1' })
  t.equal(normalizeAnthropicResponse({ content: [], stop_reason: 'max_tokens' }).finishReason, 'length')
  t.equal(normalizeAnthropicResponse({ content: [{ type: 'tool_use' }], stop_reason: 'tool_use' }).content, null)
})

t.test('usage maps token names; junk gives undefined, never NaN', async (t) => {
  t.same(normalizeOpenAIUsage({ prompt_tokens: 1, completion_tokens: 2 }), { inputTokens: 1, outputTokens: 2 })
  t.same(normalizeAnthropicUsage({ input_tokens: 1, output_tokens: 2 }), { inputTokens: 1, outputTokens: 2 })
  t.equal(normalizeOpenAIUsage(undefined), undefined)
  t.equal(normalizeOpenAIUsage({ prompt_tokens: 'x' }), undefined)
  t.same(normalizeOpenAIResponse('nope'), { content: null })
  t.same(normalizeAnthropicResponse(null), { content: null })
  t.same(normalizeOpenAIUsage({ prompt_tokens: 4, total_tokens: 4 }), { inputTokens: 4, outputTokens: 0 }, 'embeddings usage')
})
