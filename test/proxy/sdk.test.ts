import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import t from 'tap'
import { DEFAULT_EXCHANGE } from '../helpers/mock-upstreams.js'
import { proxyHarness } from '../helpers/proxy.js'

/**
 * The official clients, with only baseURL and key changed, against pulse-proxy in front of
 * mock upstreams that split events across TCP writes at awkward places.
 */

t.test('openai SDK: non-streaming, streaming (with and without usage), embeddings', async (t) => {
  const h = await proxyHarness(t)
  const base = await h.listen()
  const client = new OpenAI({ apiKey: h.apiKey, baseURL: `${base}/v1`, maxRetries: 0 })

  h.upstreams.openai.next({ split: 'awkward' })
  const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(completion.choices[0]?.message.content, DEFAULT_EXCHANGE.text)
  t.equal(completion.usage?.prompt_tokens_details?.cached_tokens, DEFAULT_EXCHANGE.cacheReadTokens)

  h.upstreams.openai.next({ split: 'awkward' })
  let text = ''
  let usageChunks = 0
  const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? ''
    if (chunk.usage != null) usageChunks++
  }
  t.equal(text, DEFAULT_EXCHANGE.text)
  t.equal(usageChunks, 0, 'the usage chunk pulse-proxy asked for is not shown to a client that did not')
  t.match(h.upstreams.openai.requests.at(-1)?.body, { stream_options: { include_usage: true } }, 'but it was asked for upstream')

  h.upstreams.openai.next({ split: 'bytes' })
  const withUsage = await client.chat.completions.create({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })
  let usage: OpenAI.CompletionUsage | undefined
  for await (const chunk of withUsage) if (chunk.usage != null) usage = chunk.usage
  t.equal(usage?.prompt_tokens, DEFAULT_EXCHANGE.inputTokens, 'a client that asks gets the usage chunk')

  // The SDK asks for base64 by default; the mock upstream only speaks floats, so ask for those.
  const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' })
  t.equal(emb.data.length, 1)
  t.same(emb.data[0]?.embedding, [0.1, -0.2, 0.3])

  const models = await client.models.list()
  t.ok(models.data.some((m) => m.id === 'openai/gpt-4o'))
})

t.test('openai SDK against an Anthropic model, through translation, streaming included', async (t) => {
  const h = await proxyHarness(t)
  const base = await h.listen()
  const client = new OpenAI({ apiKey: h.apiKey, baseURL: `${base}/v1`, maxRetries: 0 })
  const model = 'anthropic/claude-3-5-haiku-20241022'

  const completion = await client.chat.completions.create({ model, messages: [{ role: 'system', content: 'short' }, { role: 'user', content: 'hi' }] })
  t.equal(completion.choices[0]?.message.content, DEFAULT_EXCHANGE.text)
  t.equal(completion.choices[0]?.finish_reason, 'stop')
  t.equal(completion.usage?.prompt_tokens, DEFAULT_EXCHANGE.inputTokens)

  h.upstreams.anthropic.next({ split: 'awkward', exchange: { ...DEFAULT_EXCHANGE, toolCall: { id: 'toolu_1', name: 'lookup', arguments: { q: 'Paris' } } } })
  let text = ''
  let args = ''
  let finish: string | null | undefined
  let usage: OpenAI.CompletionUsage | undefined
  const stream = await client.chat.completions.create({
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hi' }],
    tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }]
  })
  for await (const chunk of stream) {
    const c = chunk.choices[0]
    text += c?.delta.content ?? ''
    args += c?.delta.tool_calls?.[0]?.function?.arguments ?? ''
    if (c?.finish_reason != null) finish = c.finish_reason
    if (chunk.usage != null) usage = chunk.usage
  }
  t.equal(text, DEFAULT_EXCHANGE.text)
  t.same(JSON.parse(args), { q: 'Paris' })
  t.equal(finish, 'tool_calls')
  t.equal(usage?.completion_tokens, DEFAULT_EXCHANGE.outputTokens, 'cumulative output count, not summed')
})

t.test('@anthropic-ai/sdk through /v1/messages, streaming included', async (t) => {
  const h = await proxyHarness(t)
  const base = await h.listen()
  const client = new Anthropic({ apiKey: h.apiKey, baseURL: base, maxRetries: 0 })

  const message = await client.messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
  const block = message.content[0]
  t.equal(block?.type === 'text' ? block.text : undefined, DEFAULT_EXCHANGE.text)
  t.equal(message.usage.cache_read_input_tokens, DEFAULT_EXCHANGE.cacheReadTokens)

  h.upstreams.anthropic.next({ split: 'awkward' })
  const stream = client.messages.stream({ model: 'claude-3-5-haiku-20241022', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
  let text = ''
  stream.on('text', (piece) => { text += piece })
  const final = await stream.finalMessage()
  t.equal(text, DEFAULT_EXCHANGE.text)
  t.equal(final.usage.output_tokens, DEFAULT_EXCHANGE.outputTokens)
  t.equal(final.stop_reason, 'end_turn')
  t.equal(h.upstreams.anthropic.requests.at(-1)?.headers['x-api-key'], 'sk-ant-upstream-0123456789abcdef', 'the project key upstream, not the pulse key')
})

t.test('SDKs throw on a cut stream through the proxy (never a clean end)', async (t) => {
  const h = await proxyHarness(t)
  const base = await h.listen()
  const openai = new OpenAI({ apiKey: h.apiKey, baseURL: `${base}/v1`, maxRetries: 0 })
  h.upstreams.openai.next({ split: 'awkward', fault: { kind: 'cut', afterEvents: 4 } })
  await t.rejects((async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    let n = 0
    for await (const chunk of stream) n += chunk.choices.length
    return n
  })(), /terminal event/)

  const anthropic = new Anthropic({ apiKey: h.apiKey, baseURL: base, maxRetries: 0 })
  h.upstreams.anthropic.next({ fault: { kind: 'cut', afterEvents: 5 } })
  await t.rejects(anthropic.messages.stream({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage(), /terminal event/)

  const errors = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: false }).then(() => null, (e: unknown) => e)
  t.equal(errors, null, 'the next call works')
})
