import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { openAIToAnthropicRequest } from '../../../plugins/proxy/providers/translate/openai-to-anthropic.js'
import { ProviderInputError } from '../../../plugins/proxy/providers/types.js'
import { fixtureJson } from '../../helpers/fixtures.js'

const opts = { model: 'claude-3-5-haiku-20241022', defaultMaxTokens: 4096 }

t.test('system and developer messages become `system`; max_tokens defaults', async (t) => {
  const out = openAIToAnthropicRequest({
    model: 'anthropic/claude-3-5-haiku-20241022',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
      { role: 'user', content: 'Capital of France?' }
    ],
    temperature: 0.2,
    top_p: 0.9,
    stop: 'END',
    user: 'user-42'
  }, opts)
  t.same(out, {
    model: 'claude-3-5-haiku-20241022',
    max_tokens: 4096,
    system: 'You are terse.\n\nAnswer in French.',
    messages: [{ role: 'user', content: 'Capital of France?' }],
    temperature: 0.2,
    top_p: 0.9,
    stop_sequences: ['END'],
    metadata: { user_id: 'user-42' }
  })
})

t.test('max_completion_tokens, then max_tokens, win over the default', async (t) => {
  const messages = [{ role: 'user', content: 'x' }]
  t.equal(openAIToAnthropicRequest({ messages, max_tokens: 10 }, opts).max_tokens, 10)
  t.equal(openAIToAnthropicRequest({ messages, max_tokens: 10, max_completion_tokens: 20 }, opts).max_tokens, 20)
})

t.test('tools, tool_choice, assistant tool calls and tool results', async (t) => {
  const out = openAIToAnthropicRequest({
    messages: [
      { role: 'user', content: 'Weather in Paris and Lyon?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Lyon"}' } }
        ]
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '21°C' }] },
      { role: 'user', content: 'Thanks. Which is warmer?' }
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    parallel_tool_calls: false
  }, opts)
  t.same(out.tools, [{ name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }])
  t.same(out.tool_choice, { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true })
  t.same(out.messages, [
    { role: 'user', content: 'Weather in Paris and Lyon?' },
    {
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { location: 'Lyon' } }
      ]
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'call_1', content: '18°C' },
        { type: 'tool_result', tool_use_id: 'call_2', content: '21°C' },
        { type: 'text', text: 'Thanks. Which is warmer?' }
      ]
    }
  ], 'consecutive tool results and the next user turn merge into one user message')
})

t.test('tool_choice strings', async (t) => {
  const messages = [{ role: 'user', content: 'x' }]
  t.same(openAIToAnthropicRequest({ messages, tool_choice: 'auto' }, opts).tool_choice, { type: 'auto' })
  t.same(openAIToAnthropicRequest({ messages, tool_choice: 'required' }, opts).tool_choice, { type: 'any' })
  t.same(openAIToAnthropicRequest({ messages, tool_choice: 'none' }, opts).tool_choice, { type: 'none' })
  t.same(openAIToAnthropicRequest({ messages, parallel_tool_calls: false }, opts).tool_choice, { type: 'auto', disable_parallel_tool_use: true })
})

t.test('images: base64 data URLs and https URLs', async (t) => {
  const out = openAIToAnthropicRequest({
    messages: [{
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } }
      ]
    }]
  }, opts)
  t.same(out.messages[0]?.content, [
    { type: 'text', text: 'What is this?' },
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } }
  ])
})

t.test('what Anthropic cannot express is a ProviderInputError naming the field', async (t) => {
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n'],
    [{ messages: 'x' }, 'messages'],
    [{ messages: [{ role: 'function', content: 'x' }] }, 'messages[0]'],
    [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0]'],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x' } }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'assistant', content: '', tool_calls: [{ id: 'a', function: { name: 'f', arguments: '{oops' } }] }] }, 'messages[0].tool_calls[0].function.arguments']
  ]
  for (const [body, field] of bad) {
    let caught: unknown
    try { openAIToAnthropicRequest(body, opts) } catch (err) { caught = err }
    t.ok(caught instanceof ProviderInputError, field)
    t.equal((caught as ProviderInputError).field, field)
  }
})

t.test('the adapter sends it to /v1/messages with Anthropic headers, the key passed in', async (t) => {
  const a = anthropicProvider({ baseUrl: 'http://127.0.0.1:9/v1/' })
  const req = a.transformRequest('chat', 'openai', { model: 'anthropic/claude', messages: [{ role: 'user', content: 'x' }] }, {
    model: 'claude-3-5-haiku-20241022', key: 'sk-ant-secret', requestId: 'req-9', injectIncludeUsage: true, now: 0, clientHeaders: { 'anthropic-beta': 'prompt-caching-2024-07-31', authorization: 'Bearer pulse_sk_client' }
  })
  t.equal(req.url, 'http://127.0.0.1:9/v1/messages')
  t.same(req.headers, { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31', 'x-request-id': 'req-9', 'x-api-key': 'sk-ant-secret' })
  t.equal(JSON.parse(req.body ?? '{}').model, 'claude-3-5-haiku-20241022')
  t.equal(req.injectedIncludeUsage, false, 'Anthropic always reports usage: nothing to inject')
  t.notOk(JSON.stringify(a).includes('sk-ant-secret'), 'the adapter keeps no key')
})

t.test('non-streamed response: content blocks → message, tool_use → tool_calls, stop reason and tokens per seed 001', async (t) => {
  const a = anthropicProvider()
  const r = a.transformResponse('chat', 'openai', fixtureJson('anthropic/message.json'), { model: 'claude', injectIncludeUsage: false, now: 1_741_570_283_000 })
  t.same(r.body, {
    id: 'msg_01Aq9w938a90dw8qAnthrpc',
    object: 'chat.completion',
    created: 1741570283,
    model: 'claude-3-5-haiku-20241022',
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: "I'll check the weather in Paris — ☕ first.",
        tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris, France","unit":"celsius"}' } }]
      },
      finish_reason: 'tool_calls',
      logprobs: null
    }],
    usage: { prompt_tokens: 3720, completion_tokens: 89, total_tokens: 3809, prompt_tokens_details: { cached_tokens: 2048, cache_write_tokens: 1200 } }
  })
  t.same(r.usage, { inputTokens: 3720, outputTokens: 89, cacheReadTokens: 2048, cacheWriteTokens: 1200, reasoningTokens: 0, totalTokens: 3809 })
  t.equal(r.finishReason, 'tool_calls')
})

t.test('stop reasons map per seed 001', async (t) => {
  const a = anthropicProvider()
  const table: Array<[string, string]> = [['end_turn', 'stop'], ['max_tokens', 'length'], ['stop_sequence', 'stop'], ['tool_use', 'tool_calls'], ['refusal', 'content_filter']]
  for (const [anthropic, openai] of table) {
    const r = a.transformResponse('chat', 'openai', { id: 'm', model: 'c', content: [{ type: 'text', text: 'x' }], stop_reason: anthropic, usage: { input_tokens: 1, output_tokens: 1 } }, { model: 'c', injectIncludeUsage: false, now: 0 })
    t.equal((r.body as { choices: Array<{ finish_reason: string }> }).choices[0]?.finish_reason, openai, anthropic)
  }
})
