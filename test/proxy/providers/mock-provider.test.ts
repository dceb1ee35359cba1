import t from 'tap'
import { mockProvider } from '../../../plugins/proxy/providers/mock.js'
import { events } from '../../helpers/fixtures.js'
import { relay } from '../../helpers/relay.js'

const mock = mockProvider({ now: () => 1_741_570_283_000 })
const messages = [{ role: 'user', content: 'Tell me about Paris' }]

t.test('is opt-in data: no key, not production-safe, in-process transport', async (t) => {
  t.equal(mock.productionSafe, false)
  t.equal(mock.requiresKey, false)
  t.ok(mock.transport)
})

t.test('OpenAI format, non-streamed: deterministic text and usage', async (t) => {
  const a = await relay({ adapter: mock, operation: 'chat', clientFormat: 'openai', body: { model: 'mock/mock-1', messages }, model: 'mock-1' })
  const b = await relay({ adapter: mock, operation: 'chat', clientFormat: 'openai', body: { model: 'mock/mock-1', messages }, model: 'mock-1' })
  t.equal(a.status, 200)
  t.same(a.result?.body, b.result?.body, 'same request, same answer')
  const body = a.result?.body as { object: string, choices: Array<{ message: { content: string }, finish_reason: string }> }
  t.equal(body.object, 'chat.completion')
  t.equal(body.choices[0]?.message.content, 'Mock reply from mock-1: you said "Tell me about Paris".')
  t.equal(body.choices[0]?.finish_reason, 'stop')
  t.same(a.result?.usage, { inputTokens: 5, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 15 })
})

t.test('OpenAI format, streamed: same text and usage; the usage chunk hidden unless asked', async (t) => {
  const plain = await relay({ adapter: mock, operation: 'chat', clientFormat: 'openai', body: { model: 'mock-1', messages, stream: true }, model: 'mock-1' })
  t.equal(plain.summary?.complete, true)
  t.equal(plain.summary?.outputText, 'Mock reply from mock-1: you said "Tell me about Paris".')
  t.same(plain.summary?.usage, { inputTokens: 5, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 15 })
  t.notOk(events(plain.text).some((e) => e.data.includes('"usage":{')), 'no usage chunk for a client that did not ask')
  t.equal(events(plain.text).at(-1)?.data, '[DONE]')
  const asked = await relay({ adapter: mock, operation: 'chat', clientFormat: 'openai', body: { model: 'mock-1', messages, stream: true, stream_options: { include_usage: true } }, model: 'mock-1' })
  t.ok(events(asked.text).some((e) => e.data.includes('"usage":{"prompt_tokens":5')))
})

t.test('max_tokens truncates with finish_reason length', async (t) => {
  const r = await relay({ adapter: mock, operation: 'chat', clientFormat: 'openai', body: { model: 'mock-1', messages, max_tokens: 3 }, model: 'mock-1' })
  t.equal(r.result?.finishReason, 'length')
  t.equal(r.result?.usage?.outputTokens, 3)
})

t.test('Anthropic format, streamed and not, with the same usage', async (t) => {
  const body = { model: 'mock-1', max_tokens: 100, messages }
  const one = await relay({ adapter: mock, operation: 'messages', clientFormat: 'anthropic', body, model: 'mock-1' })
  const m = one.result?.body as { type: string, content: Array<{ text: string }>, stop_reason: string }
  t.equal(m.type, 'message')
  t.equal(m.stop_reason, 'end_turn')
  const streamed = await relay({ adapter: mock, operation: 'messages', clientFormat: 'anthropic', body: { ...body, stream: true }, model: 'mock-1' })
  t.equal(streamed.summary?.complete, true)
  t.equal(streamed.summary?.outputText, m.content[0]?.text)
  t.same(streamed.summary?.usage, one.result?.usage)
  t.same(events(streamed.text).map((e) => e.event), ['message_start', 'content_block_start', 'ping', ...Array(10).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop'])
})

t.test('embeddings and models', async (t) => {
  const e = await relay({ adapter: mock, operation: 'embeddings', clientFormat: 'openai', body: { model: 'mock-1', input: ['a', 'b'] }, model: 'mock-1' })
  const data = (e.result?.body as { data: Array<{ embedding: number[] }> }).data
  t.equal(data.length, 2)
  t.equal(data[0]?.embedding.length, 8)
  t.notSame(data[0]?.embedding, data[1]?.embedding)
  t.equal(e.result?.usage?.inputTokens, 2)
  const models = await relay({ adapter: mock, operation: 'models', clientFormat: 'openai', body: {}, model: '' })
  t.same(mock.listModels(models.result?.body).map((m) => m.id), ['mock-1', 'mock-1-mini'])
})
